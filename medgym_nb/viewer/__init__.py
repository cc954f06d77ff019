"""``medgym view``: browse runs episode by episode, served on 127.0.0.1 or written as a static bundle."""

from .bundle import write_bundle
from .server import ViewerServer

__all__ = ["ViewerServer", "write_bundle"]
