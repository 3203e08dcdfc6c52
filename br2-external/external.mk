include $(sort $(wildcard $(BR2_EXTERNAL_SATMC_PATH)/package/*/*.mk))
