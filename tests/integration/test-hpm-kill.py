#!/usr/bin/env python3
"""HPM.1 upgrades never leave a component half written (daemon/hpm.h), against the real satmcd.

Each life of satmcd upgrades one of two components over the emulated IPMB with raw HPM.1
requests: a file replaced by rename (component 0) or an A/B slot pair with a marker file
(component 1). satmcd is killed with SIGKILL at a random point of that upgrade (seeded; the seed
is printed): between upload blocks, while Finish fsyncs and reads back, or while Activate runs,
with the delay after the last request drawn from up to 1.5 times what that step took in earlier
lives (measured, so it holds on a loaded machine and under valgrind). After each restart:

- the component is exactly the previous version or exactly the new one, never anything else,
  and the new one whenever an activation was reported done;
- Query Rollback Status never names a component whose new version is in place, and names it
  after an activation that was cut before its atomic step whenever the journal saw it begin;
- no staging file and no half copy beside the component is left behind.

Counts work, not time: KILLS kills (SATMC_SOAK=1: SOAK_KILLS; under valgrind SLOW_KILLS).
"""
import os, random, signal, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish  # noqa: E402
from hpm_client import (ACTIVATE, FINISH, INITIATE, RBSTATUS, SLOW, UPLOAD, BLOCK,  # noqa: E402
                        poll, rq, send, write_config)

SOAK = os.environ.get("SATMC_SOAK") == "1"
KILLS = 2000 if SOAK else 20 if SLOW else 200
SECTIONS = """
[hpm]
requesters = 0x20

[hpm.component.0]
name = boot
version = 1.00
path = {t}/boot.bin

[hpm.component.1]
name = rootfs
version = 1.00
activate = slot
path = {t}/slot.marker
slot-a = {t}/slot-a
slot-b = {t}/slot-b
"""


def finished(rig, cmd):
    """poll(), with a command that never finishes a failure of the test."""
    cc = poll(rig, cmd)
    if cc is None:
        raise SystemExit("command 0x%02x never finished" % cmd)
    return cc


def running(tmp, comp):
    """What component comp runs now: (content, slot or None)."""
    if comp == 0:
        return open(os.path.join(tmp, "boot.bin"), "rb").read(), None
    marker = open(os.path.join(tmp, "slot.marker")).read()
    slot = "ab".index(marker.strip())
    return open(os.path.join(tmp, "slot-" + "ab"[slot]), "rb").read(), slot


def main():
    seed = int(os.environ.get("SATMC_SEED", random.randrange(1 << 32)))
    rnd = random.Random(seed)
    print("kill test: %d kills, seed %d (SATMC_SEED=%d reproduces it)" % (KILLS, seed, seed),
          flush=True)
    tmp = tempfile.mkdtemp(prefix="satmc-hpm-kill-")
    state = os.path.join(tmp, "state")
    model = [os.urandom(700), os.urandom(900)]
    open(os.path.join(tmp, "boot.bin"), "wb").write(model[0])
    open(os.path.join(tmp, "slot-a"), "wb").write(model[1])
    open(os.path.join(tmp, "slot-b"), "wb").write(b"")
    open(os.path.join(tmp, "slot.marker"), "w").write("a\n")
    rig = Rig(write_config(tmp, SECTIONS), satmcd_args=["--state-directory", state])
    took = {"block": [0.002], "finish": [0.01], "activate": [0.01]}
    bad = mixed = flag_wrong = leftovers = 0
    outcome = {"old": 0, "new": 0}
    flagged_after_cut = 0
    phases = {"upload": 0, "finish": 0, "activate": 0}
    try:
        for kill in range(KILLS):
            comp = rnd.randrange(2)
            new = bytes(rnd.randrange(256) for _ in range(rnd.randint(30, 1500)))
            phase = rnd.choice(["upload", "finish", "activate", "activate"])
            phases[phase] += 1
            activate_sent = False
            cc, _ = rq(rig, INITIATE, [0, 1 << comp, 2])
            if cc != 0:
                raise SystemExit("life %d: initiate answered %s" % (kill, cc))
            blocks = [new[o:o + BLOCK] for o in range(0, len(new), BLOCK)]
            cut = rnd.randrange(len(blocks)) if phase == "upload" else len(blocks)
            for n, b in enumerate(blocks[:cut]):
                t0 = time.monotonic()
                cc, _ = rq(rig, UPLOAD, bytes([0, n & 0xFF]) + b)
                took["block"].append(time.monotonic() - t0)
                if cc != 0:
                    raise SystemExit("life %d: block %d answered %s" % (kill, n, cc))
            if phase == "upload":
                send(rig, UPLOAD, bytes([0, cut & 0xFF]) + blocks[cut])
                step = "block"
            else:
                t0 = time.monotonic()
                cc, _ = rq(rig, FINISH, bytes([0, comp]) + len(new).to_bytes(4, "little"))
                if cc != 0x80:
                    raise SystemExit("life %d: finish answered %s" % (kill, cc))
                if phase == "finish":
                    step = "finish"
                else:
                    if finished(rig, FINISH) != 0:
                        raise SystemExit("life %d: finish failed" % kill)
                    took["finish"].append(time.monotonic() - t0)
                    t0 = time.monotonic()
                    send(rig, ACTIVATE, [0])
                    activate_sent = True
                    step = "activate"
            recent = sorted(took[step][-50:])
            time.sleep(rnd.uniform(0.0, 1.5 * recent[len(recent) // 2]))
            rig.satmcd.send_signal(signal.SIGKILL)
            rig.satmcd.wait(30)
            rig.start_satmcd()

            content, _slot = running(tmp, comp)
            if content == model[comp]:
                outcome["old"] += 1
                is_new = False
            elif content == new:
                outcome["new"] += 1
                is_new = True
            else:
                bad += 1
                mixed += 1
                print("life %d: component %d is neither version (%d bytes, phase %s)"
                      % (kill, comp, len(content), phase), flush=True)
                if mixed == 1 and os.environ.get("SATMC_HPM_DEBUG"):
                    for f in sorted(os.listdir(tmp)):
                        st = os.stat(os.path.join(tmp, f))
                        print("  %s ino %d size %d nlink %d" % (f, st.st_ino, st.st_size, st.st_nlink))
                    print(open(os.path.join(state, "hpm.journal")).read(), flush=True)
                is_new = False
            if is_new and not activate_sent:
                bad += 1
                print("life %d: new version in place without Activate" % kill, flush=True)
            cc, d = rq(rig, RBSTATUS, [0])
            rolled = cc == 0 and bool(d[1] & (1 << comp))
            if cc != 0 or (is_new and rolled):
                flag_wrong += 1
                print("life %d: Query Rollback Status %s %s with the %s version in place"
                      % (kill, cc, d and d.hex(), "new" if is_new else "old"), flush=True)
            if activate_sent and not is_new and rolled:
                flagged_after_cut += 1
            stray = [f for f in os.listdir(tmp) if f.endswith(".hpm-new")] + \
                [f for f in os.listdir(state) if f.endswith(".upload") or f.endswith(".tmp")]
            if stray:
                leftovers += 1
                print("life %d: left behind: %s" % (kill, stray), flush=True)
            if is_new:
                model[comp] = new
            # Every tenth life also runs one activation to the end, to measure it.
            if kill % 10 == 0:
                comp2 = rnd.randrange(2)
                img = bytes(rnd.randrange(256) for _ in range(rnd.randint(30, 300)))
                rq(rig, INITIATE, [0, 1 << comp2, 2])
                for n, o in enumerate(range(0, len(img), BLOCK)):
                    rq(rig, UPLOAD, bytes([0, n & 0xFF]) + img[o:o + BLOCK])
                rq(rig, FINISH, bytes([0, comp2]) + len(img).to_bytes(4, "little"))
                finished(rig, FINISH)
                t0 = time.monotonic()
                cc, _ = rq(rig, ACTIVATE, [0])
                activated = cc == 0x80 and finished(rig, ACTIVATE) == 0
                took["activate"].append(time.monotonic() - t0)
                if not activated or running(tmp, comp2)[0] != img:
                    bad += 1
                    print("life %d: an uninterrupted activation did not put the upload in "
                          "place" % kill, flush=True)
                model[comp2] = img
    finally:
        rig.stop()
    print("kill test: %d kills (upload %d, finish %d, activate %d); after them the old version "
          "%d times, the new one %d times; rollback status named the component after %d cut "
          "activations" % (KILLS, phases["upload"], phases["finish"], phases["activate"],
                           outcome["old"], outcome["new"], flagged_after_cut), flush=True)
    check(mixed == 0 and bad == 0, "after each of %d SIGKILLs the component was exactly the old "
          "or exactly the new version (%d wrong)" % (KILLS, bad))
    check(flag_wrong == 0, "Query Rollback Status never named a component whose new version "
          "was in place (%d wrong)" % flag_wrong)
    check(leftovers == 0, "no staging file or half copy left after a restart (%d lives left "
          "some)" % leftovers)
    check(outcome["new"] > 0 and outcome["old"] > 0,
          "kills landed both before and after the atomic step (%d old, %d new)"
          % (outcome["old"], outcome["new"]))
    finish()


if __name__ == "__main__":
    main()
