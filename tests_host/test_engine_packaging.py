"""package.json files (mpremote mip install) and manifest.py (freezing) stay in step with
lib/qssl and boards/. Regenerate the package.json files after adding a file to lib/qssl:
python tests_host/test_engine_packaging.py (or python tools/mip_package.py)."""
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mip_package  # noqa: E402

LIB = os.path.join(ROOT, "lib", "qssl")


def lib_files():
    return sorted(f for f in os.listdir(LIB) if f.endswith(".py"))


def load(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return json.load(f)


def test_package_json_lists_exactly_lib_qssl_with_relative_urls():
    pkg = load("package.json")
    urls = pkg["urls"]
    assert sorted(d for d, _ in urls) == ["qssl/" + f for f in lib_files()], \
        "package.json is out of step with lib/qssl: run python tools/mip_package.py"
    for dest, src in urls:
        # relative to package.json: a fork, mirror, tag or local server serves the same files
        assert ":" not in src and not src.startswith("/"), (dest, src)
        assert src == "lib/" + dest and os.path.isfile(os.path.join(ROOT, src)), (dest, src)
    assert pkg["version"] == "0.1.0" and pkg["deps"] == []


def test_boards_package_json_installs_board_files_into_lib_boards():
    pkg = load("boards/package.json")
    for dest, src in pkg["urls"]:
        assert dest == "boards/" + src, (dest, src)
        assert os.path.isfile(os.path.join(ROOT, "boards", src)), src
    names = [src for _, src in pkg["urls"]]
    assert "pico.py" in names and "mp_power.py" in names  # pico.py imports mp_power
    assert "feather_rp2040.py" not in names  # CircuitPython: no mip there


def test_generated_files_match_the_tree():
    assert mip_package.stale() == []


def test_generator_notices_a_new_library_file(tmp_path):
    for d in ("lib/qssl", "boards"):
        os.makedirs(str(tmp_path / d))
    for f in ("__init__.py", "at.py"):
        (tmp_path / "lib" / "qssl" / f).write_text("")
    for f in mip_package.MICROPYTHON_BOARDS:
        (tmp_path / "boards" / f).write_text("")
    mip_package.write(str(tmp_path))
    assert mip_package.stale(str(tmp_path)) == []
    (tmp_path / "lib" / "qssl" / "new.py").write_text("")
    assert mip_package.stale(str(tmp_path)) == ["package.json"]


def run_manifest(**options):
    """Execute manifest.py with stand-ins for the firmware build's manifest functions."""
    calls = []

    class Options:
        def __init__(self, kw):
            self.__dict__.update(kw)

        def defaults(self, **kw):
            for k, v in kw.items():
                self.__dict__.setdefault(k, v)

    env = {"options": Options(options),
           "metadata": lambda **kw: calls.append(("metadata", kw)),
           "package": lambda *a, **kw: calls.append(("package", a, kw))}
    with open(os.path.join(ROOT, "manifest.py")) as f:
        exec(compile(f.read(), "manifest.py", "exec"), env)
    return calls


def test_manifest_freezes_the_package_and_the_board_files():
    calls = run_manifest()
    assert calls[0][0] == "metadata" and calls[0][1]["description"]
    assert calls[0][1]["version"] == "0.1.0"
    assert calls[1] == ("package", ("qssl",), {"base_path": "lib", "opt": 3})
    name, args, kw = calls[2]
    assert args == ("boards",) and kw["base_path"] == "." and kw["opt"] == 3
    assert set(kw["files"]) == {"pico.py", "esp32_devkitc.py", "mp_power.py"}
    for f in kw["files"]:
        assert os.path.isfile(os.path.join(ROOT, "boards", f))


@pytest.mark.parametrize("board,files", [("pico", {"pico.py", "mp_power.py"}),
                                         ("esp32_devkitc", {"esp32_devkitc.py", "mp_power.py"}),
                                         ("unix", {"unix.py"})])
def test_manifest_freezes_one_board_when_named(board, files):
    calls = run_manifest(board=board)
    assert set(calls[2][2]["files"]) == files


def test_manifest_opt_0_keeps_line_numbers():
    assert [c[2]["opt"] for c in run_manifest(opt=0) if c[0] == "package"] == [0, 0]


def test_manifest_board_none_freezes_the_library_alone_and_refuses_unknown():
    assert [c[1] for c in run_manifest(board="") if c[0] == "package"] == [("qssl",)]
    with pytest.raises(ValueError, match="no board file 'teensy'"):
        run_manifest(board="teensy")


def write_package_json():
    """Regenerate the package.json files: python tests_host/test_engine_packaging.py"""
    for rel in mip_package.write():
        print("wrote", rel)


if __name__ == "__main__":
    write_package_json()
