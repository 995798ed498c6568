"""The words of the generated stream: written for tweetcare, English and Japanese.

Slots: {order} order number, {phone} phone number, {days} a count of days, {item} a product,
{handle} the brand handle, {friend} another user's handle.
"""

from __future__ import annotations

ITEMS = {
    "en": ["headphones", "coffee grinder", "running shoes", "phone case", "desk lamp", "backpack"],
    "ja": [
        "イヤホン",
        "コーヒーミル",
        "ランニングシューズ",
        "スマホケース",
        "デスクライト",
        "リュック",
    ],
}

CUSTOMER: dict[str, dict[str, list[str]]] = {
    "en": {
        "delivery": [
            "@{handle} my {item} was supposed to arrive {days} days ago and tracking hasn't moved. order {order}",
            "@{handle} parcel marked as delivered but nothing at my door?? this is the second time",
            "@{handle} any update on order {order}? still says processing after {days} days",
        ],
        "billing": [
            "@{handle} I was charged twice for the same order, please fix this",
            "@{handle} why did my subscription renew when I cancelled it last month?",
            "@{handle} refund for {order} still not on my card after {days} days",
        ],
        "outage": [
            "@{handle} is the app down? can't load anything since this morning",
            "@{handle} checkout keeps failing with an error, tried three cards",
            "@{handle} website has been down for an hour, is anyone looking at this?",
        ],
        "account": [
            "@{handle} locked out of my account and the reset email never comes",
            "@{handle} someone changed my password, I did not do this. please help",
            "@{handle} how do I change the email address on my account?",
        ],
        "returns": [
            "@{handle} how do I return the {item}? it doesn't fit",
            "@{handle} sent my return back {days} days ago, when will I get the refund?",
        ],
        "question": [
            "@{handle} do you ship to Canada?",
            "@{handle} is the {item} coming back in stock in black?",
            "@{handle} what are your opening hours on Sunday?",
        ],
        "praise": [
            "@{handle} the {item} arrived a day early and it's perfect. thank you!",
            "@{handle} shoutout to your support team, sorted my issue in 5 minutes",
        ],
        "followup": [
            "@{handle} still waiting on this...",
            "@{handle} hello? it's been hours",
            "@{handle} ok sent you a DM",
        ],
        "chatter": [
            "@{friend} lol I got the same {item} from @{handle} last year, still works",
            "@{friend} are you going to the @{handle} sale this weekend?",
        ],
        "spam": [
            "@{handle} EARN $500 A DAY from home!!! click here http://bit.ly/x{order}",
            "@{handle} free followers fast, visit http://promo.example/{order} now",
        ],
        "dm": [
            "Hi, my order number is {order} and my phone is {phone}. The {item} never arrived.",
            "Here are my details: account email on file, phone {phone}. Please cancel order {order}.",
        ],
    },
    "ja": {
        "delivery": [
            "@{handle} {days}日前に注文した{item}がまだ届きません。注文番号は{order}です",
            "@{handle} 配達完了になっているのに荷物がありません。どうなっていますか",
            "@{handle} 発送予定日を過ぎても連絡がありません",
        ],
        "billing": [
            "@{handle} 同じ注文で二重に請求されています。確認してください",
            "@{handle} 解約したのに今月も料金が引き落とされていました",
        ],
        "outage": [
            "@{handle} アプリが起動しません。障害ですか？",
            "@{handle} 朝からサイトに繋がりません",
        ],
        "account": [
            "@{handle} ログインできなくなりました。パスワード再設定のメールも届きません",
            "@{handle} アカウントが勝手にロックされました",
        ],
        "returns": [
            "@{handle} {item}のサイズが合わないので返品したいです。方法を教えてください",
            "@{handle} 返品して{days}日経ちますが返金がまだです",
        ],
        "question": [
            "@{handle} {item}の黒はいつ再入荷しますか？",
            "@{handle} 海外への発送はできますか？",
        ],
        "praise": [
            "@{handle} {item}届きました！想像以上に良くて大満足です、ありがとうございます",
            "@{handle} サポートの方の対応がとても丁寧でした。助かりました",
        ],
        "followup": [
            "@{handle} まだ返信がないのですが…",
            "@{handle} DM送りました",
        ],
        "chatter": [
            "@{friend} それ{handle}の新作だよね、私も気になってた",
            "@{friend} 週末の@{handle}のセール一緒に行こう",
        ],
        "spam": [
            "@{handle} 【副業】1日5万円稼げる方法はこちら http://promo.example/{order}",
        ],
        "dm": [
            "注文番号は{order}、電話番号は{phone}です。{item}が届いていません。",
        ],
        "keyword": [
            "アクメのアプリ、アップデートしてから毎回ログアウトされる。私だけ？",
            "アクメで頼んだ{item}、まだ届かないんだけど",
            "アクメの配送いつも遅い気がする",
        ],
    },
}

BRAND: dict[str, dict[str, list[str]]] = {
    "en": {
        "reply": [
            "@{customer} Sorry about this! Could you send us a DM with your order number so we can check? ^AL",
            "@{customer} Thanks for letting us know. Our team is on it and we'll update you shortly. ^JM",
            "@{customer} We're sorry for the trouble. Please DM us and we'll sort this out. ^RK",
        ],
        "praise": ["@{customer} That's great to hear, enjoy! ^AL"],
        "dm": ["Thanks, I've found your order and escalated it to our courier. ^JM"],
        "announce": ["Our winter sale starts now: up to 40% off everything!"],
    },
    "ja": {
        "reply": [
            "@{customer} ご不便をおかけして申し訳ございません。お調べしますので、DMにて注文番号をお知らせください。",
            "@{customer} ご連絡ありがとうございます。担当部署に確認いたします。",
        ],
        "praise": ["@{customer} 嬉しいお言葉をありがとうございます！"],
        "dm": ["ご連絡ありがとうございます。配送業者に確認し、改めてご連絡いたします。"],
        "announce": ["本日より冬のセールを開催します！"],
    },
}
