"""vhdr in Nuke: start-up, menus, the route B button, the route A gizmo's callback, gizmo files.

``startup`` and ``menus`` import only ``nuke`` (they run when Nuke starts); ``route_b`` imports
``vs_vhdr`` when the button is pressed. See nuke_plugin/README.md.
"""
