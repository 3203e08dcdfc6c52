"""Test-only stand-in for pyaardvark (the Python binding of Total Phase's Aardvark I2C adapter),
backed by the emulated bus (satmc-i2c-bus, docs/emulated-bus.md) instead of a USB adapter.

It exists so that BMC-side software written for an Aardvark — Kontron's python-ipmi and its
`aardvark` interface — runs unchanged against satmcd: the adapter is one endpoint on the bus,
a master for its writes and, once enable_i2c_slave() is called, a slave at that address.

It implements what pyipmi.interfaces.aardvark uses, with the real module's signatures and
behaviour: open(port, serial_number); Aardvark.enable_i2c_slave(), disable_i2c_slave(),
i2c_master_write() (IOError when no slave acknowledges, as the real one raises on
I2C_STATUS_SLA_NACK), poll(timeout_ms) (a list of POLL_* events, empty when none came),
i2c_slave_read() ((7-bit address, bytes); address 0 for a general call), the i2c_pullups and
target_power properties (no electrical meaning here, remembered only) and close().

Which bus: the socket named by the module attribute `bus_socket`, by default the environment
variable SATMC_AARDVARK_BUS. Only port 0 exists, as with one adapter plugged in."""
import os

import emubus

POLL_NO_DATA = 0x00
POLL_I2C_READ = 0x01
POLL_I2C_WRITE = 0x02
POLL_SPI = 0x04
POLL_I2C_MONITOR = 0x08

I2C_NO_FLAGS = 0x00
I2C_10_BIT_ADDR = 0x01
I2C_COMBINED_FMT = 0x02
I2C_NO_STOP = 0x04

bus_socket = os.environ.get("SATMC_AARDVARK_BUS")


def find_devices():
    """The attached adapters as the real module reports them: one, at port 0, if a bus is set."""
    if not bus_socket:
        return []
    return [{"port": 0, "serial_number": "emubus", "in_use": False}]


def open(port=None, serial_number=None):  # noqa: A001 (the real module's name)
    if serial_number not in (None, "emubus") or port not in (None, 0):
        raise IOError("Aardvark not found (port %r, serial number %r)" % (port, serial_number))
    if not bus_socket:
        raise IOError("no emulated bus: set SATMC_AARDVARK_BUS or pyaardvark.bus_socket")
    return Aardvark(bus_socket)


class Aardvark:
    def __init__(self, path):
        self._bus = emubus.Endpoint(path)
        self._slave_address = None
        self._received = []
        self._pullups = False
        self._target_power = False

    def close(self):
        self._bus.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def i2c_pullups(self):
        return self._pullups

    @i2c_pullups.setter
    def i2c_pullups(self, enabled):
        self._pullups = bool(enabled)

    @property
    def target_power(self):
        return self._target_power

    @target_power.setter
    def target_power(self, enabled):
        self._target_power = bool(enabled)

    def enable_i2c_slave(self, slave_address):
        """Answer 7-bit slave_address. The bus cannot take an address back, so a second call
        with another address is refused rather than leaving the first one attached."""
        if self._slave_address not in (None, slave_address):
            raise IOError("slave address already set to 0x%02x" % self._slave_address)
        if self._slave_address is None:
            self._bus.attach([slave_address])
            self._slave_address = slave_address

    def disable_i2c_slave(self):
        """Kept for the API; the address stays attached until close() (see enable_i2c_slave)."""

    def i2c_master_write(self, i2c_address, data, flags=I2C_NO_FLAGS):
        if flags & (I2C_10_BIT_ADDR | I2C_NO_STOP):
            raise IOError("the emulated bus has neither 10-bit addresses nor repeated starts")
        data = bytes(data)
        if not data:
            raise IOError("I2C_STATUS_BUS_ERROR: the emulated bus carries no empty writes")
        if not self._bus.write(i2c_address, data):
            raise IOError("I2C_STATUS_SLA_NACK")

    def poll(self, timeout=None):
        """Wait up to timeout milliseconds (None or negative: forever) for a write to our slave
        address; [POLL_I2C_READ] when one is waiting, [] when none came."""
        if not self._received:
            wait = None if timeout is None or timeout < 0 else timeout / 1000.0
            while True:
                got = self._bus.recv(3600.0 if wait is None else wait)
                if got is not None:
                    self._received.append(got)
                    break
                if wait is not None:
                    return []
        return [POLL_I2C_READ]

    def i2c_slave_read(self):
        """The oldest write to our slave address: (7-bit address, data bytes); general calls
        report address 0. Without one waiting, IOError as the real adapter's empty read."""
        if not self._received and not self.poll(0):
            raise IOError("I2C_STATUS_BUS_ERROR: no data")
        addr7, data = self._received.pop(0)
        return addr7, bytes(data)
