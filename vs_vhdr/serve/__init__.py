"""The local frame server behind the OFX plugin (``vhdr serve``); see ofx_bridge/PROTOCOL.md."""
