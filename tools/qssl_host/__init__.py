"""Host tooling for qssl, installed by the `qssl-host` distribution under this one name:
qssl_host.quecsim (the Quectel module emulator) and qssl_host.testnet (loopback TLS, TCP
and HTTPS test servers), beside the library itself (`qssl`).

    python -m qssl_host.quecsim --pty /tmp/qmodem --boot      # or: qssl-quecsim ...
    python -m qssl_host.testnet --dir /tmp/qnet               # or: qssl-testnet ...

In a checkout, tools/ on sys.path gives the same packages by their short names
(`import quecsim`, `python -m testnet`), which the scripts in tools/ and the tests use.
"""
