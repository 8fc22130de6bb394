"""Modules that plotly reads from sys.modules without importing are fully imported with `ui`."""

import subprocess
import sys


def test_importing_ui_imports_what_plotly_reads_unlocked():
    # plotly's get_module(name, should_load=False) returns sys.modules[name] even while another
    # thread is still importing it: two sessions rendering at once then saw a half-built pandas.
    code = "import sys, ui; missing = {'pandas', 'PIL.Image'} - set(sys.modules); assert not missing, missing"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
