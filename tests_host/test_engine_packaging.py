"""package.json (mpremote mip install) and manifest.py (freezing) stay in step with lib/qssl."""
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(ROOT, "lib", "qssl")


def lib_files():
    return sorted(f for f in os.listdir(LIB) if f.endswith(".py"))


def test_package_json_lists_exactly_lib_qssl():
    with open(os.path.join(ROOT, "package.json")) as f:
        pkg = json.load(f)
    urls = pkg["urls"]
    dests = sorted(d for d, _ in urls)
    assert dests == ["qssl/" + f for f in lib_files()], "package.json is out of step with lib/qssl"
    for dest, src in urls:
        assert src.startswith("github:") and src.endswith("/lib/" + dest), (dest, src)
    assert len(set(d for d, _ in urls)) == len(urls)
    assert pkg["version"] == "0.1.0"


def test_manifest_freezes_the_package():
    text = open(os.path.join(ROOT, "manifest.py")).read()
    assert re.search(r'package\(\s*"qssl"\s*,\s*base_path\s*=\s*"lib"\s*\)', text)
    assert re.search(r'version\s*=\s*"0\.1\.0"', text)
    calls = []
    env = {"metadata": lambda **kw: calls.append(("metadata", kw)),
           "package": lambda *a, **kw: calls.append(("package", a, kw))}
    exec(compile(text, "manifest.py", "exec"), env)
    assert calls[0][0] == "metadata" and calls[0][1]["description"]
    assert calls[1] == ("package", ("qssl",), {"base_path": "lib"})


def write_package_json():
    """Regenerate package.json from lib/qssl: python tests_host/test_engine_packaging.py"""
    pkg = {"urls": [["qssl/" + f, "github:qssl-project/qssl/lib/qssl/" + f] for f in lib_files()],
           "deps": [], "version": "0.1.0"}
    with open(os.path.join(ROOT, "package.json"), "w") as f:
        f.write(json.dumps(pkg, indent=2) + "\n")


if __name__ == "__main__":
    write_package_json()
