#!/usr/bin/env python3
"""NBD across a link: satmcd's [nbd] tcp listener with tls = require, PSK and X.509 keys made
here with psktool and certtool, against libnbd's real clients (nbdinfo, nbdcopy, nbdsh) with
nbds:// URIs. The UNIX socket stays plain (socket-tls = off).

  - PSK (tls-psk-file) and X.509 with a verified client certificate read and write fru0;
  - a wrong PSK, an expired client certificate, one from another CA, a client that does not
    trust the server, a plaintext client against require, and a TLS client against the plain
    UNIX socket each fail, with a clear message from the client and a notice from satmcd,
    while a session opened before them keeps being served;
  - the config refuses a key file others can read and writable exports on TCP without TLS,
    each with file:line; a reload reads a replaced PSK file;
  - no key material ever reaches satmcd's log."""
import os, re, shutil, signal, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from satmc_testlib import Rig, check, finish, note, skip_all, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PATH = "/usr/bin:" + os.environ.get("PATH", "")


def run(cmd, timeout=30, **kw):
    env = dict(os.environ, PATH=SYSTEM_PATH)     # nbdsh needs the system python3-libnbd
    return subprocess.run(["timeout", str(timeout), *cmd], capture_output=True, text=True,
                          env=env, **kw)


def nbdsh(uri, code, timeout=30):
    """nbdsh on a URI naming local files (tls-psk-file=, tls-certificates=): libnbd wants
    that allowed explicitly, which nbdsh -u does not do."""
    return ["timeout", str(timeout), "nbdsh", "-c", "h.set_uri_allow_local_file(True)",
            "-c", "h.connect_uri(%r)" % uri, "-c", code]


def connects(port):
    """Whether something accepts on 127.0.0.1:port (the connection is then dropped)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def certtool(*args):
    r = subprocess.run(["certtool", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("certtool %s: %s" % (" ".join(args), r.stderr))


def make_ca(d, name):
    key, cert, tmpl = (os.path.join(d, name + x) for x in ("-key.pem", "-cert.pem", ".tmpl"))
    open(tmpl, "w").write('cn = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' % name)
    certtool("--generate-privkey", "--outfile", key)
    certtool("--generate-self-signed", "--load-privkey", key, "--template", tmpl,
             "--outfile", cert)
    return key, cert


def make_cert(d, name, ca, template):
    key, cert, tmpl = (os.path.join(d, name + x) for x in ("-key.pem", "-cert.pem", ".tmpl"))
    open(tmpl, "w").write(template)
    certtool("--generate-privkey", "--outfile", key)
    certtool("--generate-certificate", "--load-privkey", key, "--load-ca-certificate", ca[1],
             "--load-ca-privkey", ca[0], "--template", tmpl, "--outfile", cert)
    os.chmod(key, 0o600)
    return key, cert


def client_dir(d, name, ca_cert, client):
    """A directory as libnbd's tls-certificates= wants it: ca-cert.pem, client-{cert,key}.pem."""
    path = os.path.join(d, name)
    os.makedirs(path)
    shutil.copy(ca_cert, os.path.join(path, "ca-cert.pem"))
    if client:
        shutil.copy(client[1], os.path.join(path, "client-cert.pem"))
        shutil.copy(client[0], os.path.join(path, "client-key.pem"))
        os.chmod(os.path.join(path, "client-key.pem"), 0o600)
    return path


def new_log(rig, before):
    return rig.read_stderr()[before:]


def main():
    for tool in ("nbdinfo", "nbdcopy", "nbdsh", "psktool", "certtool"):
        if not shutil.which(tool):
            skip_all("%s not installed (scripts/setup.sh: libnbd-bin, gnutls-bin)" % tool)
    tmp = tempfile.mkdtemp(prefix="satmc-nbd-tls-")
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    port = free_port()

    psk = os.path.join(tmp, "keys.psk")
    run(["psktool", "-u", "bmc", "-p", psk])
    os.chmod(psk, 0o600)
    wrong_psk = os.path.join(tmp, "wrong.psk")
    run(["psktool", "-u", "bmc", "-p", wrong_psk])
    os.chmod(wrong_psk, 0o600)
    stranger_psk = os.path.join(tmp, "stranger.psk")
    run(["psktool", "-u", "stranger", "-p", stranger_psk])
    os.chmod(stranger_psk, 0o600)

    ca = make_ca(tmp, "ca")
    other_ca = make_ca(tmp, "other-ca")
    server = make_cert(tmp, "server", ca, 'cn = "satmc board"\ndns_name = "localhost"\n'
                       'ip_address = "127.0.0.1"\ntls_www_server\nencryption_key\nsigning_key\n'
                       'expiration_days = 30\n')
    client = make_cert(tmp, "client", ca, 'cn = "bmc"\ntls_www_client\nencryption_key\n'
                       'signing_key\nexpiration_days = 30\n')
    expired = make_cert(tmp, "expired", ca, 'cn = "old bmc"\ntls_www_client\nencryption_key\n'
                        'signing_key\nactivation_date = "2001-01-01 00:00:00"\n'
                        'expiration_date = "2002-01-01 00:00:00"\n')
    stranger = make_cert(tmp, "stranger", other_ca, 'cn = "stranger"\ntls_www_client\n'
                         'encryption_key\nsigning_key\nexpiration_days = 30\n')
    good_dir = client_dir(tmp, "good", ca[1], client)
    expired_dir = client_dir(tmp, "expired-client", ca[1], expired)
    stranger_dir = client_dir(tmp, "stranger-client", ca[1], stranger)
    distrust_dir = client_dir(tmp, "distrust", other_ca[1], client)

    base = open(os.path.join(HERE, "board-fru.ini")).read()
    base = base.replace("[fru.0]\n", "[fru.0]\nnbd-writable = yes\n", 1)
    nbd = ("\n[nbd]\ntcp = 127.0.0.1:%d\ntls = require\ntls-psk-file = %s\n"
           "tls-certificate = %s\ntls-key = %s\ntls-ca = %s\ntls-verify-peer = yes\n"
           % (port, psk, server[1], server[0], ca[1]))
    cfg = os.path.join(tmp, "satmcd.conf")
    open(cfg, "w").write(base + nbd)

    # --- the configuration's refusals, each with file:line ---
    satmcd = os.environ["SATMCD"]

    def check_config(text):
        path = os.path.join(tmp, "check.conf")
        open(path, "w").write(text)
        return subprocess.run([satmcd, "--config", path, "--check-config"], capture_output=True,
                              text=True)

    plain_tcp = base + "\n[nbd]\ntcp = 127.0.0.1:%d\n" % port
    r = check_config(plain_tcp)
    line = plain_tcp.splitlines().index("tcp = 127.0.0.1:%d" % port) + 1
    check(r.returncode != 0 and ("check.conf:%d: [nbd] tcp serves nbd-writable" % line) in r.stderr,
          "writable exports on TCP without TLS refused at file:line (%s)" % r.stderr.strip()[:160])
    r = check_config(plain_tcp + "insecure-tcp-writable = yes\n")
    check(r.returncode == 0, "... unless insecure-tcp-writable = yes says so")
    os.chmod(psk, 0o640)
    r = check_config(base + nbd)
    line = (base + nbd).splitlines().index("tls-psk-file = %s" % psk) + 1
    check(r.returncode != 0 and ("check.conf:%d: [nbd] tls-psk-file" % line) in r.stderr and
          "0640" in r.stderr, "a group-readable PSK file refused at file:line (%s)" % r.stderr.strip()[:160])
    os.chmod(psk, 0o600)
    r = check_config(base + nbd.replace(psk, psk + ".missing"))
    check(r.returncode != 0 and "No such file" in r.stderr, "a missing PSK file refused")
    r = check_config(base + nbd.replace("tls-psk-file = %s\n" % psk, "").replace(
        "tls-certificate = %s\n" % server[1], "").replace("tls-verify-peer = yes\n", ""))
    check(r.returncode != 0 and "tls-certificate and tls-key go together" in r.stderr,
          "a key without its certificate refused")

    rig = Rig(cfg, satmcd_args=["--state-directory", state])
    tcp = "127.0.0.1:%d" % port
    psk_uri = "nbds://bmc@%s/fru0?tls-psk-file=%s" % (tcp, psk)
    x509_uri = "nbds://%s/fru0?tls-certificates=%s" % (tcp, good_dir)
    unix_uri = "nbd+unix:///fru0?socket=" + rig.nbd_sock
    backing = os.path.join(state, "fru0.bin")
    try:
        # --- what works ---
        r = run(["nbdinfo", "--json", psk_uri])
        check(r.returncode == 0 and '"is_read_only": false' in r.stdout,
              "nbdinfo over TLS with PSK: fru0, writable%s" % (": " + r.stderr.strip() if r.returncode else ""))
        r = run(["nbdinfo", "--list", "nbds://bmc@%s/?tls-psk-file=%s" % (tcp, psk)])
        check(r.returncode == 0 and 'export="fru0"' in r.stdout and 'export="sdr"' in r.stdout,
              "nbdinfo --list over TLS lists fru0 and sdr")
        copy = os.path.join(tmp, "fru0.copy")
        r = run(["nbdcopy", psk_uri, copy])
        check(r.returncode == 0 and open(copy, "rb").read() == open(backing, "rb").read(),
              "nbdcopy over TLS (PSK) equals the backing file")
        r = run(nbdsh(psk_uri, "h.pwrite(b'\\x5a\\xa5\\x0f', 0x140); h.flush()"))
        check(r.returncode == 0, "nbdsh over TLS (PSK) writes and flushes%s" % (": " + r.stderr.strip() if r.returncode else ""))
        r = run(["nbdsh", "-u", unix_uri, "-c", "print(h.pread(3, 0x140).hex())"])
        check(r.stdout.strip() == "5aa50f", "the UNIX socket (plain) reads what TLS wrote: %s" % r.stdout.strip())
        check(open(backing, "rb").read()[0x140:0x143] == b"\x5a\xa5\x0f", "... and it is on disk")
        r = run(nbdsh(x509_uri, "print(h.pread(3, 0x140).hex())"))
        check(r.stdout.strip() == "5aa50f",
              "X.509 with a verified client certificate reads fru0%s" % (": " + r.stderr.strip() if r.returncode else ""))
        r = run(["nbdcopy", "--", copy, x509_uri])
        check(r.returncode == 0, "nbdcopy writes fru0 over X.509 TLS%s" % (": " + r.stderr.strip() if r.returncode else ""))
        log = rig.read_stderr()
        check("TLS up: PSK identity bmc" in log and "TLS up: X.509 CN=bmc" in log,
              "satmcd logs who came in (PSK identity, client certificate DN)")

        # A session that stays open across every failure below, served after them.
        flag = os.path.join(tmp, "go")
        env = dict(os.environ, PATH=SYSTEM_PATH)
        keeper = subprocess.Popen(
            nbdsh(psk_uri, "import os, time\nprint('open', flush=True)\n"
                  "while not os.path.exists(%r): time.sleep(0.05)\n"
                  "print(h.pread(3, 0x140).hex())" % flag, 60),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        check(keeper.stdout.readline().strip() == "open", "a session is open before the failures")

        # --- what must fail, clearly, on both sides ---
        def refused(what, cmd, client_words, server_words):
            before = len(rig.read_stderr())
            r = run(cmd)
            try:
                wait_for(lambda: re.search(server_words, new_log(rig, before)), "satmcd's notice", 10)
            except SystemExit:
                check(False, "%s: satmcd says %r; the client: %s" % (what, new_log(rig, before), r.stderr.strip()))
                return
            log = new_log(rig, before)
            ok = r.returncode != 0 and re.search(client_words, r.stderr, re.I)
            check(ok, "%s: the client fails: %s" % (what, r.stderr.strip().splitlines()[0] if r.stderr.strip() else "(no message)"))
            note("%s: satmcd says: %s" % (what, log.strip().splitlines()[-1] if log.strip() else ""))

        refused("wrong PSK", ["nbdinfo", "nbds://bmc@%s/fru0?tls-psk-file=%s" % (tcp, wrong_psk)],
                r"handshake|tls|alert", r"TLS handshake failed: .*wrong pre-shared key for \"bmc\"")
        refused("unknown PSK identity", ["nbdinfo", "nbds://stranger@%s/fru0?tls-psk-file=%s" % (tcp, stranger_psk)],
                r"handshake|tls|alert|key", r"TLS handshake failed: unknown PSK identity \"stranger\"")
        refused("expired client certificate", ["nbdinfo", "nbds://%s/fru0?tls-certificates=%s" % (tcp, expired_dir)],
                r"handshake|tls|certificate|alert", r"client certificate refused: .*expired")
        refused("client certificate from another CA", ["nbdinfo", "nbds://%s/fru0?tls-certificates=%s" % (tcp, stranger_dir)],
                r"handshake|tls|certificate|alert", r"client certificate refused: .*(signer|not trusted|authority)|Certificate is required")
        refused("client does not trust the server", ["nbdinfo", "nbds://%s/fru0?tls-certificates=%s" % (tcp, distrust_dir)],
                r"certificate|verif|trust", r"TLS handshake failed|hung up in the TLS handshake")
        refused("plaintext client against require", ["nbdinfo", "nbd://%s/fru0" % tcp],
                r"error|tls", r"without TLS on a listener that requires it")
        refused("TLS client against a listener without TLS",
                ["nbdinfo", "nbds+unix:///fru0?socket=%s&tls-psk-file=%s" % (rig.nbd_sock, psk)],
                # libnbd's words, the same against nbdkit --tls=off
                r"tls|not supported|handshake|connection is closed", r"asked for TLS, which this listener does not offer")

        open(flag, "w").close()
        out, err = keeper.communicate(timeout=60)
        want = open(copy, "rb").read()[0x140:0x143].hex()      # nbdcopy wrote it back over X.509
        check(out.strip() == want, "the session opened before the failures is still served%s"
              % (": " + out.strip() + err.strip() if out.strip() != want else ""))
        check(rig.satmcd.poll() is None, "satmcd kept running through every failure")

        # --- reload: a replaced PSK file takes effect ---
        new_psk = os.path.join(tmp, "new.psk")
        run(["psktool", "-u", "bmc", "-p", new_psk])
        os.chmod(new_psk, 0o600)
        old_psk = os.path.join(tmp, "old.psk")
        shutil.copy(psk, old_psk)
        os.chmod(old_psk, 0o600)
        shutil.copy(new_psk, psk)
        before = len(rig.read_stderr())
        rig.satmcd.send_signal(signal.SIGHUP)
        wait_for(lambda: re.search(r"Reloaded |Reload of .* refused", new_log(rig, before)), "reload", 30)
        r = run(["nbdinfo", "--size", "nbds://bmc@%s/fru0?tls-psk-file=%s" % (tcp, new_psk)])
        check(r.returncode == 0, "after a reload the new PSK works")
        r = run(["nbdinfo", "--size", "nbds://bmc@%s/fru0?tls-psk-file=%s" % (tcp, old_psk)])
        check(r.returncode != 0, "... and the old one does not")

        # --- a TCP socket from the service manager is held to the same rule ---
        if shutil.which("systemd-socket-activate"):
            sa_port = free_port()
            sa_cfg = os.path.join(tmp, "activated.conf")
            open(sa_cfg, "w").write(base.replace("address = 0x72", "address = 0x74"))
            sa_state = os.path.join(tmp, "sa-state")
            os.makedirs(sa_state)
            act = subprocess.Popen(
                ["timeout", "30", "systemd-socket-activate", "-l", "127.0.0.1:%d" % sa_port,
                 "--fdname=nbd", "--", satmcd, "--config", sa_cfg, "--bus-socket", rig.sock,
                 "--state-directory", sa_state, "--ipmitool-socket", "none", "--nbd-socket", "none"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            wait_for(lambda: connects(sa_port), "systemd-socket-activate to listen", 10)
            out, _ = act.communicate(timeout=30)
            check(act.returncode != 0 and "passed a TCP socket and exports are nbd-writable" in out,
                  "a passed TCP socket with writable exports and no TLS refuses to start (%s)"
                  % out.strip().splitlines()[-1] if out.strip() else "no output")

        # --- no key material in the log ---
        log = rig.read_stderr()
        keys = [l.split(":", 1)[1].strip() for f in (psk, wrong_psk, new_psk, stranger_psk) for l in open(f) if ":" in l]
        keys += [l.split(":", 1)[1].strip() for l in open(old_psk)]
        check(not any(k and k[:16] in log for k in keys), "no PSK appears in satmcd's log")
        check("PRIVATE KEY" not in log, "no private key appears in satmcd's log")
    finally:
        rc = rig.stop()
        check(rc == 0, "satmcd exits cleanly (%s)" % rc)
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
