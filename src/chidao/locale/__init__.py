"""The gettext catalogs (``vi/LC_MESSAGES/chidao.mo``) and the tool that builds them."""
