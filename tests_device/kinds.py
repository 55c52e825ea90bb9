# The parser's event, kind and mode numbers for code that runs on MicroPython (device
# tests, tools/bench_parser.py). lib/qssl/at.py keeps them as private consts, which
# MicroPython folds into the bytecode, so a program cannot read them there; on CPython
# they stay readable as at._K_OK. tests_host/test_shared_consts.py checks this copy.
EV_LINE = 1
EV_PROMPT = 2
EV_RAW = 3
EV_OVERFLOW = 4
K_OK = 1
K_ERROR = 2
K_CME = 3
K_SEND_OK = 4
K_SEND_FAIL = 5
K_CLOSE_OK = 6
K_DEACT_OK = 7
K_CONNECT = 8
K_CONNECT_OK = 9
K_CONNECT_FAIL = 10
K_ALREADY = 11
K_NO_CARRIER = 12
K_PROMPT = 18
K_REBOOT = 19
K_RESPONSE = 20
K_URC_RECV = 30
K_URC_CLOSED = 31
K_URC_OPEN = 32
K_URC_QIRDI = 33
K_URC_TCP_CLOSED = 34
K_URC_PDP_DEACT = 35
K_URC_RDY = 36
K_URC_CALL_READY = 37
K_URC_SMS_READY = 38
K_URC_LINK_CLOSED = 39
K_URC_OTHER = 40
K_ECHO = 50
K_UNKNOWN = 60
M_RAW = 1
M_DATA = 2
