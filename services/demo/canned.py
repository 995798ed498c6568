"""Canned replies the demo starts with, in English and Japanese (written for tweetcare)."""

from __future__ import annotations

CANNED: tuple[dict[str, str], ...] = (
    {
        "name": "Sorry — DM us",
        "lang": "en",
        "text": "Hi {customer_name}, sorry about this. Please send us a DM with your order "
        "number and we will look into it right away.",
    },
    {
        "name": "Looking into it",
        "lang": "en",
        "text": "Thanks for letting us know, {customer_name}. We are checking this now and will "
        "update you here shortly.",
    },
    {
        "name": "Thank you",
        "lang": "en",
        "text": "Thank you so much for the kind words, {customer_name}! We will pass them on to "
        "the team.",
    },
    {
        "name": "お詫び・DMのお願い",
        "lang": "ja",
        "text": "{customer_name}様、ご不便をおかけして申し訳ございません。お手数ですが、"
        "ご注文番号をDMでお知らせいただけますでしょうか。",
    },
    {
        "name": "確認中",
        "lang": "ja",
        "text": "{customer_name}様、ご連絡ありがとうございます。ただいま確認しておりますので、"
        "少々お待ちください。",
    },
    {
        "name": "お礼",
        "lang": "ja",
        "text": "{customer_name}様、温かいお言葉をありがとうございます！"
        "担当チームにも共有いたします。",
    },
)
