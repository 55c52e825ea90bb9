#!/usr/bin/env python3
"""Draw the SVG diagrams of docs/ (wiring, modem bring-up, socket states) from the
coordinates below. Plain SVG text, no dependencies:

    python tools/draw_diagrams.py            # writes docs/img/*.svg
    python tools/draw_diagrams.py --check    # exit 1 if a file differs from what it draws
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "img")
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"


def esc(t):
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Svg:
    def __init__(self, w, h, title):
        self.w, self.h = w, h
        self.parts = ['<title>%s</title>' % esc(title),
                      '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
                      'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
                      '<path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
                      '<rect width="%d" height="%d" fill="white"/>' % (w, h)]

    def text(self, x, y, s, size=13, anchor="middle", weight="normal", color="#111", mono=False,
             italic=False):
        self.parts.append(
            '<text x="%g" y="%g" font-family="%s" font-size="%d" text-anchor="%s" font-weight="%s"%s '
            'fill="%s">%s</text>' % (x, y, MONO if mono else FONT, size, anchor, weight,
                                     ' font-style="italic"' if italic else "", color, esc(s)))

    def lines(self, x, y, rows, size=13, anchor="middle", gap=None, **kw):
        gap = gap or size + 4
        for i, r in enumerate(rows):
            self.text(x, y + i * gap, r, size, anchor, **kw)

    def box(self, x, y, w, h, title=None, rows=(), fill="#eef3fb", stroke="#35506e", rx=8,
            size=13, dash=False):
        self.parts.append('<rect x="%g" y="%g" width="%g" height="%g" rx="%g" fill="%s" stroke="%s" '
                          'stroke-width="1.6"%s/>' % (x, y, w, h, rx, fill, stroke,
                                                      ' stroke-dasharray="6 4"' if dash else ""))
        ty = y + 20
        if title:
            self.text(x + w / 2, ty, title, size + 1, weight="bold")
            ty += size + 8
        self.lines(x + w / 2, ty, rows, size)

    def path(self, pts, label=None, at=0.5, color="#333", width=1.6, arrow=True, dash=False,
             label_dy=-6, label_size=12, both=False):
        d = "M" + " L".join("%g,%g" % p for p in pts)
        self.parts.append('<path d="%s" fill="none" stroke="%s" stroke-width="%g"%s%s%s/>' % (
            d, color, width, ' marker-end="url(#arrow)"' if arrow else "",
            ' marker-start="url(#arrow)"' if both else "",
            ' stroke-dasharray="5 4"' if dash else ""))
        if label:
            # on the longest segment, at fraction `at` of it
            segs = list(zip(pts, pts[1:]))
            (x1, y1), (x2, y2) = max(segs, key=lambda s: abs(s[1][0] - s[0][0]) + abs(s[1][1] - s[0][1]))
            mx, my = x1 + (x2 - x1) * at, y1 + (y2 - y1) * at
            rows = label if isinstance(label, (list, tuple)) else [label]
            hgt = len(rows) * (label_size + 3)
            wid = max(len(r) for r in rows) * label_size * 0.56 + 8
            if x1 == x2:  # vertical: label to the right of the line
                bx, by = mx + 6, my - hgt / 2
                self.parts.append('<rect x="%g" y="%g" width="%g" height="%g" fill="white" '
                                  'fill-opacity="0.92"/>' % (bx, by, wid, hgt))
                self.lines(bx + 4, by + label_size, rows, label_size, anchor="start",
                           gap=label_size + 3, color="#222")
            else:
                by = my + label_dy - hgt + 4 if label_dy < 0 else my + label_dy
                self.parts.append('<rect x="%g" y="%g" width="%g" height="%g" fill="white" '
                                  'fill-opacity="0.92"/>' % (mx - wid / 2, by, wid, hgt))
                self.lines(mx, by + label_size, rows, label_size, gap=label_size + 3, color="#222")

    def dot(self, x, y, r=3.2, color="#333"):
        self.parts.append('<circle cx="%g" cy="%g" r="%g" fill="%s"/>' % (x, y, r, color))

    def render(self):
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">\n'
                % (self.w, self.h, self.w, self.h) + "\n".join(self.parts) + "\n</svg>\n")


def wiring():
    s = Svg(1000, 650, "qssl: wiring a Quectel M66 to a 3.3 V board")
    s.text(500, 28, "Wiring a Quectel M66 (M95, MC60, M26) to a 3.3 V board", 18, weight="bold")
    # the board
    s.box(30, 60, 210, 320, "Board (3.3 V logic)", fill="#eef6ee", stroke="#3d6b3d")
    for name, y in (("UART TX", 160), ("UART RX", 205), ("PWRKEY GPIO", 272), ("STATUS GPIO", 322),
                    ("GND", 355)):
        s.text(230, y + 4, name, 13, anchor="end", mono=True)
        s.dot(240, y)
    # the module
    s.box(720, 60, 250, 340, "Quectel M66", fill="#fbf1e6", stroke="#8a5a2b")
    for name, y in (("VDD_EXT (2.8 V out)", 115), ("RXD", 160), ("TXD", 205), ("PWRKEY", 272),
                    ("STATUS", 322), ("VBAT 3.3-4.6 V", 362)):
        s.text(732, y + 4, name, 13, anchor="start", mono=True)
        s.dot(720, y)
    s.text(900, 390, "GND", 13, mono=True)
    s.dot(900, 400)
    s.lines(845, 230, ["UART, STATUS and", "VDD_EXT are 2.8 V", "logic"], 11, color="#8a5a2b",
            italic=True)
    # level shifter between the UART lines
    s.box(380, 100, 190, 130, "Level shifter", ["3.3 V side | 2.8 V side", "(e.g. 2 x BSS138,", "or a TXB0102)"],
          fill="#f3eefb", stroke="#5b4a8a", size=12)
    s.path([(240, 160), (380, 160)], "TX")
    s.path([(570, 160), (720, 160)], "to RXD")
    s.path([(380, 205), (240, 205)], "RX")
    s.path([(720, 205), (570, 205)], "from TXD")
    s.path([(720, 115), (570, 115)], "2.8 V reference", color="#8a5a2b")
    # PWRKEY driver
    s.box(380, 240, 190, 66, None, ["NPN transistor: base via 4.7k,", "47k from base to GND;",
                                      "collector pulls PWRKEY low"], fill="#fffbe6", stroke="#8a7a2b",
          size=11)
    s.path([(240, 272), (380, 272)], "high = press")
    s.path([(570, 272), (720, 272)], "low >= 0.6 s: on")
    s.path([(720, 322), (240, 322)], "STATUS: high while on (2.8 V reads as 1)")
    # power
    s.box(400, 440, 280, 112, "Power supply 4.0 V", ["must deliver 2 A bursts", "(577 us every 4.6 ms when",
                                                     "sending); not a USB port,", "not the board's 3V3 pin"],
          fill="#fdecec", stroke="#8a2b2b", size=12)
    s.path([(680, 470), (700, 470), (700, 362), (720, 362)], None)
    s.text(694, 430, "VBAT", 12, anchor="end", color="#8a2b2b")
    s.path([(700, 470), (700, 498), (720, 498)], None, arrow=False, color="#8a2b2b")
    s.box(720, 450, 165, 100, "At VBAT, close", ["1000 uF low-ESR", "+ 100 nF + 33 pF", "short, wide traces"],
          fill="#fff", stroke="#8a2b2b", size=11, dash=True)
    # one ground
    s.path([(240, 355), (375, 355), (375, 610)], None, arrow=False)
    s.path([(900, 400), (900, 610), (375, 610)], None, arrow=False)
    s.path([(540, 552), (540, 610)], None, arrow=False)
    s.path([(800, 550), (800, 610)], None, arrow=False, color="#8a2b2b")
    s.text(385, 630, "one common ground: board, module, supply, capacitors", 12, anchor="start")
    # pin table
    s.text(30, 420, "Pins in boards/*.py", 14, anchor="start", weight="bold")
    rows = [("board", "UART TX", "UART RX", "PWRKEY", "STATUS"),
            ("pico.py", "GP0 (UART0)", "GP1", "GP2", "GP3"),
            ("esp32_devkitc.py", "GPIO17 (UART2)", "GPIO16", "GPIO4", "GPIO34"),
            ("feather_rp2040.py", "TX", "RX", "D5", "D6")]
    xs = [30, 140, 232, 280, 325]
    for i, r in enumerate(rows):
        for x, c in zip(xs, r):
            s.text(x, 445 + i * 20, c, 10, anchor="start", mono=True, weight="bold" if i == 0 else "normal")
    s.lines(30, 540, ["STATUS is optional (STATUS_PIN = None:", "the board file asks with AT instead)."], 11,
            anchor="start", italic=True)
    return s


def bringup():
    s = Svg(1000, 800, "qssl: modem bring-up states")
    s.text(500, 28, "Modem bring-up: start(), attach(), recover()", 18, weight="bold")
    X, W, H = 330, 200, 62
    ys = [60, 172, 284, 396, 508, 620]
    states = [("OFF", ["no answer"], "#eeeeee"),
              ("BOOTING", ["RDY, Call Ready (autobaud:", "silent until the first AT)"], "#eef3fb"),
              ("SYNCED", ["echo off, numeric errors"], "#eef3fb"),
              ("SIM READY", ["+CPIN: READY"], "#eef3fb"),
              ("REGISTERED", ["+CREG / +CGREG stat 1 or 5"], "#eef3fb"),
              ("ONLINE", ["PDP context up, local IP"], "#e6f4e6")]
    for y, (name, rows, fill) in zip(ys, states):
        s.box(X, y, W, H, name, rows, fill=fill, size=11)
    steps = [["power_on() of the board file:", "PWRKEY low for about 1 s"],
             ["start(): AT until OK, then", "ATE0 and AT+CMEE=1"],
             ["start(pin=None): AT+CPIN?;", "AT+CPIN=<pin> when asked"],
             ["attach(): wait for registration", "(AT+CREG?, AT+CGREG?)"],
             ["attach(): QIFGCNT, QICSGP (APN),", "QIREGAPP, QIACT, QILOCIP"]]
    for i, rows in enumerate(steps):
        y0, y1 = ys[i] + H, ys[i + 1]
        s.path([(X + W / 2, y0), (X + W / 2, y1)], None)
        s.lines(X + W / 2 - 10, (y0 + y1) / 2 - 2, rows, 12, anchor="end", gap=15)
    # failures
    s.box(640, 240, 330, 120, "FAILED: the call raises", ["SIM absent, PUK, wrong PIN: OSError", "(ENOENT, EACCES)",
                                                         "registration denied or timed out,", "QIACT refused: PDPError(step)"],
          fill="#fdecec", stroke="#8a2b2b", size=11)
    red = "#8a2b2b"
    s.path([(X + W, ys[2] + 31), (580, ys[2] + 31), (580, 280), (640, 280)], None, color=red)
    s.path([(X + W, ys[3] + 31), (600, ys[3] + 31), (600, 310), (640, 310)], None, color=red)
    s.path([(X + W, ys[4] + 20), (620, ys[4] + 20), (620, 340), (640, 340)], None, color=red)
    # recovery
    s.box(640, 560, 330, 130, "RECOVERING", ["recover(), or by itself with recover=True:",
                                             "+PDP DEACT: QIDEACT, attach again",
                                             "RDY: sockets dead, settings re-sent",
                                             "silence: power-cycle, start again"],
          fill="#fff7e0", stroke="#8a7a2b", size=11)
    amber = "#8a7a2b"
    s.path([(X + W, ys[5] + 40), (640, ys[5] + 40)], ["+PDP DEACT,", "RDY, silence"], color=amber)
    s.path([(640, 600), (560, 600), (560, ys[4] + 50), (X + W, ys[4] + 50)], None, color=amber)
    s.text(566, 590, "PDP lost", 11, anchor="start", color=amber)
    s.path([(970, 620), (985, 620), (985, ys[1] + 31), (X + W, ys[1] + 31)],
           "restarted or power-cycled: start again", color=amber)
    s.lines(30, 730, ["detach() (AT+QIDEACT) goes back from ONLINE to REGISTERED. A module in autobaud mode",
                      "prints no RDY after a restart: fix its rate (AT+IPR=115200;&W) so a restart is seen."],
            12, anchor="start", italic=True)
    return s


def socket_states():
    s = Svg(1090, 660, "qssl: SSL socket states")
    s.text(545, 28, "An SSL socket: ctx.socket() to close()", 18, weight="bold")
    W, H = 170, 70
    pos = {"NEW": (20, 90), "CONNECTING": (310, 90), "CONNECTED": (600, 90), "PEER-CLOSED": (890, 90),
           "DEAD": (600, 300), "CLOSED": (310, 430)}
    rows = {"NEW": ["ctx.socket(): a free", "index 0..5 claimed"],
            "CONNECTING": ["AT+QSSLOPEN sent,", "waiting for +QSSLOPEN"],
            "CONNECTED": ["send / recv /", "readinto / readline"],
            "PEER-CLOSED": ["reads drain the buffer,", "then b\"\" (end of stream)"],
            "DEAD": ["next call raises OSError", "(ECONNRESET, or EIO)"],
            "CLOSED": ["index released;", "calls raise ENOTCONN"]}
    fills = {"CONNECTED": "#e6f4e6", "DEAD": "#fdecec", "CLOSED": "#eeeeee", "PEER-CLOSED": "#fff7e0"}
    for n, (x, y) in pos.items():
        s.box(x, y, W, H, n, rows[n], fill=fills.get(n, "#eef3fb"), size=11)
    top = 90 + H
    s.path([(190, 125), (310, 125)], "connect()")
    s.path([(480, 125), (600, 125)], "+QSSLOPEN: i,0")
    s.path([(770, 125), (890, 125)], ["\"closed\" URC;", "send ERROR"])
    s.path([(685, top), (685, 300)], ["RDY (restart), +PDP DEACT,", "read data lost on the line"])
    s.path([(915, top), (915, 335), (770, 335)], ["restart or", "PDP lost"])
    s.path([(395, top), (395, 430)], ["-1: ECONNABORTED", "-2: EADDRINUSE", "timeout: ETIMEDOUT",
                                      "(connect() raises)"], color="#8a2b2b")
    s.path([(105, top), (105, 465), (310, 465)], "close()")
    s.path([(615, top), (615, 250), (560, 250), (560, 455), (480, 455)], None)
    s.lines(552, 392, ["close():", "AT+QSSLCLOSE"], 12, anchor="end", color="#222")
    s.path([(685, 370), (685, 480), (480, 480)], "close()", label_dy=6)
    s.path([(1040, top), (1040, 545), (395, 545), (395, 500)], "close(): AT+QSSLCLOSE")
    s.lines(20, 590, ["A seventh socket of any kind (SSL or TCP) raises OSError(ENOMEM) at ctx.socket().",
                      "A timeout (settimeout) raises OSError(ETIMEDOUT) and leaves the socket CONNECTED;",
                      "a send the module answers with ERROR raises ECONNRESET, and reads then end the stream."],
            12, anchor="start", italic=True)
    return s


DIAGRAMS = {"wiring.svg": wiring, "modem_states.svg": bringup, "socket_states.svg": socket_states}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    os.makedirs(OUT, exist_ok=True)
    stale = []
    for name, draw in DIAGRAMS.items():
        text = draw().render()
        path = os.path.join(OUT, name)
        if argv == ["--check"]:
            try:
                same = open(path).read() == text
            except OSError:
                same = False
            if not same:
                stale.append(name)
            continue
        with open(path, "w") as f:
            f.write(text)
        print("wrote", os.path.relpath(path, ROOT))
    for name in stale:
        print("docs/img/%s is out of date: run python tools/draw_diagrams.py" % name)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
