"""The licence the package metadata names is the one the source tree ships."""

import configparser

from tests.live import ROOT


def test_the_mit_license_setup_cfg_names_ships_with_the_code():
    metadata = configparser.ConfigParser()
    metadata.read(ROOT / "setup.cfg")
    assert metadata["metadata"]["license"] == "MIT"
    assert metadata["metadata"]["license_files"] == "LICENSE"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the pastecms authors" in text
    assert "Permission is hereby granted, free of charge" in text
