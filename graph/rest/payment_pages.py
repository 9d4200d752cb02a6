"""What the payer's browser sees after a gateway sends it back: a small page, or a redirect.

With ``payment_return_url`` set, the browser is redirected there (303) with ``top_up`` and ``status``
(``paid``, ``pending``, ``failed``, ``cancelled``) added to the query, for the owner's own dashboard to show.
Without it, Revisit answers with a short HTML page of its own: paid (with the gateway's reference) or not.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.responses import HTMLResponse, RedirectResponse, Response

from domain.payments.models import TopUp

_TEXT = {
    "paid": ("پرداخت انجام شد", "Payment received", "کیف پول شارژ شد.", "The wallet has been topped up."),
    "pending": (
        "پرداخت هنوز تأیید نشده است",
        "Payment not confirmed yet",
        "اگر مبلغی کسر شده باشد، پس از تأیید درگاه به کیف پول افزوده می‌شود.",
        "If you were charged, the wallet is credited as soon as the gateway confirms it.",
    ),
    "failed": (
        "پرداخت انجام نشد",
        "Payment failed",
        "مبلغی به کیف پول افزوده نشد.",
        "Nothing was added to the wallet.",
    ),
    "cancelled": ("پرداخت لغو شد", "Payment cancelled", "مبلغی پرداخت نشد.", "Nothing was paid."),
}


def payer_answer(top_up: TopUp | None, *, status: str, settings: Any, http_status: int = 200) -> Response:
    """The page (or redirect) for a top-up in ``status``; ``top_up`` is None when none was found."""
    target = getattr(settings, "payment_return_url", None)
    if target and top_up is not None:
        query = urlencode({"top_up": str(top_up.id), "status": status})
        separator = "&" if urlsplit(target).query else "?"
        return RedirectResponse(f"{target}{separator}{query}", status_code=303)
    title_fa, title_en, line_fa, line_en = _TEXT.get(status, _TEXT["failed"])
    details = ""
    if top_up is not None:
        details = f"<p><bdi>{top_up.amount:,}</bdi> ریال · IRR</p>"
        if top_up.ref_id:
            details += f"<p>کد پیگیری · Reference: <bdi>{escape(top_up.ref_id)}</bdi></p>"
    page = (
        '<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title_fa)}</title><style>body{{font-family:Tahoma,Arial,sans-serif;max-width:32em;"
        "margin:3em auto;text-align:center}</style></head><body>"
        f"<h1>{escape(title_fa)}</h1><p>{escape(line_fa)}</p>"
        f'<h2 dir="ltr">{escape(title_en)}</h2><p dir="ltr">{escape(line_en)}</p>{details}'
        "</body></html>"
    )
    return HTMLResponse(page, status_code=http_status, headers={"Cache-Control": "no-store"})
