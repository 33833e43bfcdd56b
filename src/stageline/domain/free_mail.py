"""Email domains anyone can sign up to: an address there says nothing about the company.

Email-domain matching skips these. The list is the large consumer providers; a workspace can
pass its own set to :class:`~stageline.domain.matching.EmailDomainStep`.

>>> "gmail.com" in FREE_MAIL_DOMAINS, "acme.com" in FREE_MAIL_DOMAINS
(True, False)
"""

from __future__ import annotations

__all__ = ["FREE_MAIL_DOMAINS"]

FREE_MAIL_DOMAINS = frozenset(
    {
        "126.com", "163.com", "aol.com", "att.net", "comcast.net", "duck.com", "fastmail.com",
        "free.fr", "gmail.com", "gmx.com", "gmx.de", "gmx.net", "googlemail.com", "hey.com",
        "hotmail.co.uk", "hotmail.com", "hotmail.de", "hotmail.fr", "icloud.com", "laposte.net",
        "libero.it", "live.co.uk", "live.com", "mac.com", "mail.com", "mail.ru", "me.com",
        "msn.com", "naver.com", "orange.fr", "outlook.com", "outlook.de", "outlook.fr", "pm.me",
        "proton.me", "protonmail.com", "qq.com", "rediffmail.com", "t-online.de", "tutanota.com",
        "verizon.net", "web.de", "yahoo.co.jp", "yahoo.co.uk", "yahoo.com", "yahoo.de",
        "yahoo.fr", "yandex.com", "yandex.ru", "ymail.com", "zoho.com",
    }
)  # fmt: skip
