"""stepgrad's desktop app: Qt-free run/record/layout logic here, widgets in ``desktop.ui``."""
