"""What board-clients.ini configures and what its sensor files hold, shared by the tests that
read it with other people's clients (test-pyipmi.py, test-freeipmi.py)."""
import os

# What the sensor files hold (engineering units) and the thresholds board-clients.ini sets,
# by SDR ID string.
READINGS = {"Board Temp": 42.5, "12V Rail": 12.03, "Fan 1": 5200, "Inlet Temp": -12.5,
            "PSU Current": 7.3}
FILES = {"Board Temp": ("temp1_input", 1000), "12V Rail": ("in1_input", 1000),
         "Fan 1": ("fan1_input", 1), "Inlet Temp": ("temp2_input", 1000),
         "PSU Current": ("curr1_input", 1000)}
THRESHOLDS = {
    "Board Temp": {"lcr": -10, "unc": 60, "ucr": 85, "unr": 100},
    "12V Rail": {"lcr": 11.5, "lnc": 11.7, "unc": 12.3, "ucr": 12.5},
    "Fan 1": {"lcr": 1000, "lnc": 2000},
    "Inlet Temp": {"lnr": -50, "lcr": -40, "lnc": -30, "unc": 30},
    "PSU Current": {"ucr": 14},
}


def write_value(tmp, name, value):
    """The sensor file behind name, in the hwmon units the configuration scales from. A copy
    renamed over it, as a hwmon attribute never reads empty: written in place, a poll between
    the truncation and the write reads no number, and the sensor is unavailable for a poll."""
    fname, scale = FILES[name]
    path = os.path.join(tmp, fname)
    with open(path + ".new", "w") as f:
        f.write("%d\n" % round(value * scale))
    os.replace(path + ".new", path)
