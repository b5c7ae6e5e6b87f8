"""Nuke runs this at GUI start-up when nuke_plugin is on NUKE_PATH: see vhdr_nuke.menus."""

import vhdr_nuke.menus

vhdr_nuke.menus.install()
