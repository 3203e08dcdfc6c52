/* Placeholder: being written. Skips. */
int main(void) { return 77; }
