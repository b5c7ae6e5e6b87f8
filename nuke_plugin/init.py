"""Nuke runs this at start-up when nuke_plugin is on NUKE_PATH: see vhdr_nuke.startup."""

import vhdr_nuke.startup

vhdr_nuke.startup.on_init()
