"""chidao: follow a directive (chỉ đạo) from the office that sends it until every recipient
has reported."""

__version__ = "0.1.0"
