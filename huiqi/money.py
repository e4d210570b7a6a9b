"""Money is exact: integer fen inside, Decimal yuan at the edges, never float.

>>> to_fen(Decimal("500000"))
50000000
>>> format_yuan(Decimal("1234.5"))
'¥1,234.50'
>>> format_fen(12345)
'¥123.45'
"""

from __future__ import annotations

from decimal import Decimal

FEN_PER_YUAN = 100


class SubFenError(ValueError):
    """An amount finer than one fen (0.01 yuan) was given."""


def to_fen(yuan: Decimal | int | str) -> int:
    """Exact yuan → integer fen; refuses amounts finer than a fen rather than rounding them away."""
    d = Decimal(str(yuan)) if not isinstance(yuan, Decimal) else yuan
    fen = d * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise SubFenError(f"{yuan} yuan is not a whole number of fen")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(yuan: Decimal | int) -> str:
    """¥ with thousands separators and two decimals."""
    return f"¥{Decimal(yuan).quantize(Decimal('0.01')):,}"


def format_fen(fen: int) -> str:
    """``format_yuan(fen_to_yuan(fen))`` in integer arithmetic (every explanation words its amounts with it;
    the Decimal round trip cost several times more)."""
    whole, part = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"¥{'-' if fen < 0 else ''}{whole:,}.{part:02d}"
