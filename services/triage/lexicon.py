"""Bilingual lexicons written for tweetcare: the words behind topics, sentiment and signals.

English entries are lowercase words or phrases matched on word boundaries; Japanese entries are
substrings (Japanese has no spaces). Terms are written ``a|b|c``; weights are the team's judgement.
"""

from __future__ import annotations


def _t(terms: str) -> tuple[str, ...]:
    return tuple(t for t in terms.split("|") if t)


def _w(pairs: str) -> dict[str, float]:
    return {w: float(v) for w, v in (p.rsplit("=", 1) for p in pairs.split("|") if p)}


TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "en": _t(
            "delivery|delivered|deliver|shipping|shipped|ship|shipment|package|"
            "parcel|courier|tracking|tracking number|arrive|arrived|"
            "hasn't arrived|never arrived|late|delayed|delay|dispatch|order|"
            "in transit|out for delivery|missing|lost|luggage|baggage|bag|"
            "flight|delayed flight|cancelled flight|train|bus"
        ),
        "ja": _t(
            "配達|配送|発送|届か|届き|届い|荷物|遅延|遅れ|追跡|不在|宅配|置き配|到着|出荷|運休|欠航|手荷物"
        ),
    },
    "returns_refunds": {
        "en": _t(
            "refund|refunded|return|returned|returning|exchange|money back|"
            "reimburse|reimbursement|credit back|cancel my order"
        ),
        "ja": _t("返品|返金|交換|キャンセル|払い戻し|返送"),
    },
    "billing": {
        "en": _t(
            "charge|charged|charges|bill|billing|billed|invoice|payment|pay|"
            "paid|overcharged|double charged|subscription|fee|fees|"
            "price increase|credit card|debit|renewal|renewed|plan"
        ),
        "ja": _t("請求|料金|支払|引き落と|課金|二重|明細|決済|クレジット|解約|プラン|手数料"),
    },
    "account": {
        "en": _t(
            "account|login|log in|logged out|sign in|password|locked|locked out|"
            "hacked|verification|verify|email address|username|profile|2fa|"
            "two factor|reset"
        ),
        "ja": _t(
            "ログイン|アカウント|パスワード|ロック|乗っ取|認証|登録|メールアドレス|会員|再設定"
        ),
    },
    "technical": {
        "en": _t(
            "app|crash|crashes|crashing|bug|error|not working|doesn't work|"
            "won't load|down|outage|offline|broken|glitch|freeze|frozen|update|"
            "website|site|wifi|internet|signal|service down|connection|device|"
            "phone|laptop|screen|battery|server"
        ),
        "ja": _t(
            "アプリ|不具合|エラー|障害|繋がら|つながら|落ち|起動し|バグ|動かな|通信|回線|アップデート|画面|フリーズ|故障|サイト|"
            "サーバー|点灯|点か|つかない|電源|充電|動作|壊れ|不良品|初期不良"
        ),
    },
    "product_info": {
        "en": _t(
            "in stock|stock|available|availability|price|how much|how do i|"
            "how to|do you sell|do you have|when will|release|size|colour|color|"
            "open|opening hours|hours|discount|coupon|promo code"
        ),
        "ja": _t(
            "在庫|再入荷|入荷|販売|値段|価格|いつ発売|サイズ|色|営業時間|使い方|方法|できますか|ありますか|クーポン|"
            "やり方|申し込|申込|設定方法|始め方"
        ),
    },
    "customer_service": {
        "en": _t(
            "customer service|support|on hold|hold|no one|nobody|no response|"
            "no reply|ignored|ignoring|rude|agent|representative|waiting|wait|"
            "hours|dm|dms|answer|respond|reply|call center|hung up|chat"
        ),
        "ja": _t(
            "サポート|対応|返信|返事|無視|電話が繋が|窓口|問い合わせ|オペレーター|待た|態度|失礼"
        ),
    },
    "praise": {
        "en": _t(
            "thank you|thanks|thank|love|great|awesome|amazing|excellent|best|"
            "perfect|appreciate|kudos|shoutout|shout out|fantastic|happy|"
            "wonderful|helpful"
        ),
        "ja": _t("ありがとう|感謝|最高|素晴らしい|助かり|嬉しい|大満足|丁寧|好き|感動"),
    },
}

# Sentiment words with weights in [-1, 1].
SENTIMENT: dict[str, dict[str, float]] = {
    "en": _w(
        "good=0.5|great=0.8|love=0.8|awesome=0.9|amazing=0.9|thanks=0.6|"
        "thank=0.6|excellent=0.9|perfect=0.8|happy=0.6|best=0.7|nice=0.5|"
        "appreciate=0.6|helpful=0.6|fantastic=0.9|wonderful=0.8|glad=0.5|"
        "fast=0.3|easy=0.3|kudos=0.7|smooth=0.4|enjoy=0.5|fixed=0.3|bad=-0.6|"
        "worst=-1.0|terrible=-0.9|awful=-0.9|horrible=-0.9|hate=-0.9|"
        "disappointed=-0.7|disappointing=-0.7|angry=-0.7|annoyed=-0.6|"
        "frustrated=-0.7|frustrating=-0.7|ridiculous=-0.8|unacceptable=-0.9|"
        "useless=-0.8|poor=-0.6|rude=-0.8|late=-0.4|delayed=-0.5|cancelled=-0.5|"
        "canceled=-0.5|lost=-0.5|broken=-0.6|wrong=-0.5|never=-0.4|still=-0.3|"
        "again=-0.3|waiting=-0.4|nobody=-0.5|fail=-0.6|failed=-0.6|fails=-0.6|"
        "error=-0.5|problem=-0.5|issue=-0.4|issues=-0.4|crash=-0.6|scam=-0.9|"
        "stuck=-0.5|hours=-0.2|sucks=-0.9|joke=-0.6|pathetic=-0.9|sad=-0.5|"
        "worse=-0.7|missing=-0.5|charged=-0.3|overcharged=-0.7|ignored=-0.7|"
        "ugh=-0.6|wtf=-0.8|seriously=-0.4|why=-0.2|lol=0.1"
    ),
    "ja": _w(
        "悪い=-0.6|不便=-0.6|面倒=-0.5|めんどくさい=-0.5|期待外れ=-0.8|後悔=-0.7|"
        "うるさい=-0.5|微妙=-0.4|イマイチ=-0.5|いまいち=-0.5|まずい=-0.7|汚い=-0.6|"
        "使いにくい=-0.6|分かりにくい=-0.5|不良=-0.6|故障=-0.6|問題=-0.4|"
        "ありがとう=0.7|感謝=0.7|最高=0.9|素晴らしい=0.9|嬉しい=0.7|助かり=0.6|満足=0.7|丁寧=0.5|好き=0.6|"
        "良かった=0.6|便利=0.5|感動=0.8|楽しみ=0.5|早い=0.3|最悪=-1.0|ひどい=-0.8|酷い=-0.8|遅い=-0.6|"
        "困って=-0.6|困る=-0.6|不満=-0.7|残念=-0.6|怒=-0.7|がっかり=-0.7|届かない=-0.6|届きません=-0.6|"
        "できない=-0.5|できません=-0.5|不具合=-0.6|障害=-0.6|エラー=-0.5|遅延=-0.5|二重=-0.5|無視=-0.7|"
        "ありえない=-0.9|いい加減=-0.8|不安=-0.5|迷惑=-0.7|壊れ=-0.6|まだ=-0.3|繋がらない=-0.6|"
        "使えない=-0.6|詐欺=-0.9|失礼=-0.7|二度と=-0.8"
    ),
}

NEGATIONS_EN = frozenset(
    _t(
        "aren't|can't|cannot|couldn't|didn't|doesn't|don't|hasn't|haven't|isn't|"
        "never|no|nobody|not|nothing|wasn't|won't"
    )
)

# Cues that an expectation was broken (complaint), beyond negative words: clear problems, each
# a complaint said by itself. A bare negation ("didn't", "isn't") is no cue: `rules.negated`
# counts it once, as negation.
COMPLAINT_CUES: dict[str, tuple[str, ...]] = {
    "en": _t(
        "haven't heard|not heard|no word|no update|no updates|not letting|won't let|"
        "invalid|stranded|broken|falling apart|crashes|crashed|not connecting|"
        "not cool|shocking|rubbish|impolite|ignoring|ignored|useless|awful|horrible|pathetic|"
        "disgusting|disgrace|appalling|annoying|annoyed|angry|frustrated|frustrating|"
        "waste of|overpriced|rip off|ripoff|scam|fraud|complaint|complain|"
        "not acceptable|no help|no signal|no service|no power|no internet|"
        "error'ed|errored|problem|problems|faulty|stale|leaking|"
        "still not|still no|still haven't|still waiting|never arrived|"
        "never received|hasn't arrived|haven't received|not received|"
        "didn't receive|not working|doesn't work|won't work|stopped working|"
        "no response|no reply|on hold|overcharged|damaged|"
        "worst|terrible|ridiculous|unacceptable|disappointed|disappointing|"
        "fix this|sort this|not happy|fed up|sick of|unable|error|"
        "nightmare|incompetent|unprofessional|misleading|false advertising|lied to|"
        "unhappy|dissatisfied|furious|outraged|outrageous|inconvenience|inconvenienced|"
        "taking forever|takes forever|took forever|never got|never came|hung up|"
        "lousy|mediocre|sloppy|careless|shambles|compensation|not impressed|"
        "poor service|bad service|terrible service|worst service|customer service sucks"
    ),
    "ja": _t(
        "ほしい|欲しい|やめて|好きじゃない|嫌い|高い|恥ずかし|うるさかった|痛い|かかる|"
        "もう少し|迷う|困り|不安|心配|怖い|こわい|嫌だ|いやだ|気になる|改善して|"
        "大変|しょぼい|ばかり|常に|いつも|そもそも|要らない|いらない|べたべた|ベタベタ|"
        "悪い|悪く|不便|面倒|めんどくさ|にくい|づらい|重くて|重い|疲れ|汚く|汚れ|狭い|"
        "小さすぎ|大きすぎ|高すぎ|値段に見合わない|期待外れ|期待はずれ|失敗|後悔|不良|故障|"
        "問題|困った|うるさい|臭い|変色|はがれ|剥がれ|すぐに|すぐ|結局|しかし|のに|けど|"
        "だけど|残念|微妙|イマイチ|いまいち|物足りな|足りない|少ない|分かりにくい|"
        "わかりにくい|使いにくい|不安定|不十分|不愉快|不誠実|ミス|トラブル|遅かった|"
        "待った|待たされた|来ない|こない|止まる|止まった|切れる|切れた|割れ|欠け|"
        "美味しくない|おいしくない|まずい|冷めて|ぬるい|固い|硬い|薄い|"
        "届かない|届きません|届いていません|まだ|できない|できません|繋がらない|つながらない|動かない|起動しない|エラー|不具合|障害|遅延|"
        "遅れ|二重|間違|壊れ|破損|返事がない|返信がない|無視|最悪|ひどい|酷い|困って|困る|ありえない|いい加減|何度|また|不満|残念|"
        "がっかり|どうなって|なぜ|なんで|おかしい|請求され|引き落とされ|ロックされ|落ちる|落ちた|使えない|迷惑|不親切|不快|失礼|"
        "対応が悪|待たされ|連絡がない|説明がない|苦情|クレーム|謝罪|改善|納得|腹が立|怒|"
        "遅い|遅すぎ|不良品|初期不良|点かない|つかない"
    ),
}

# Words that often go with a complaint but just as often with none ("again", "hours",
# "without", "still", "sorry", "lost", "why is"): each counts only beside a second signal
# (a clear cue, a negation, another weak word or a service the brand gives), see
# `rules.complaint`. Japanese has none: its negation is weighed as a complaint by itself.
WEAK_COMPLAINT_CUES: dict[str, tuple[str, ...]] = {
    "en": _t(
        "wont|broke|banned|out of stock|ran out|run out|how come|shame|joke|poor|stop|"
        "waste|wasted|apology|apologize|sorry|lack of|instead of|even though|without|"
        "keeps|kept|constantly|always|hours|minutes|days|wtf|smh|ugh|seriously|really?|"
        "come on|expired|declined|rejected|refused|glass|hair|cold|dirty|leak|"
        "noise|slow|slower|disconnect|disconnected|dropped|issue|issues|trouble|fault|"
        "been waiting|for hours|for days|for weeks|again|second time|third time|every time|"
        "twice|still|charged|wrong|missing|cancelled|canceled|delayed|late|lost|refund|"
        "what's going on|what is going on|why is|why does|why do|why did|"
        "supposed to|promised|you said|how hard|failed|down|crash|stuck|"
        "hate|sucks|suck|crap|garbage|trash|mess|hassle|upset|worse|yet to|"
        "where is my|where's my|no longer|forever"
    ),
}

# Negated problems that say all is well ("no problem", "can't wait", "not bad"): taken out of
# the text before complaint cues and negation are looked for.
NOT_A_PROBLEM: dict[str, tuple[str, ...]] = {
    "en": _t(
        "no problem|no problems|not a problem|no worries|no issue|no issues|not an issue|"
        "zero issues|zero problems|no trouble|no hassle|no complaints|can't complain|"
        "cannot complain|can't wait|cannot wait|can not wait|cant wait|not bad|not too bad|"
        "never been better|couldn't be happier|could not be happier|couldn't be better|"
        "couldn't ask for|can't thank you enough|cannot thank you enough|can't stop smiling|"
        "nothing wrong|never disappoints|never disappoint|never fails|never let me down|"
        "never lets me down|without a problem|without any problems|without any issues|"
        "without a hitch|without problems|without issues|without any trouble"
    ),
}

URGENCY: dict[str, dict[str, tuple[str, ...]]] = {
    "outage": {
        "en": _t(
            "outage|is down|are down|service down|not loading|can't access|"
            "everyone|nationwide|all users"
        ),
        "ja": _t("障害|繋がらない|つながらない|全く使えない|サービス停止"),
    },
    "safety": {
        "en": _t(
            "fire|smoke|burn|injured|injury|dangerous|unsafe|hospital|allergic|"
            "food poisoning|exploded|emergency"
        ),
        "ja": _t("火事|発火|煙|怪我|けが|危険|病院|食中毒|異物|緊急"),
    },
    "legal": {
        "en": _t(
            "lawyer|attorney|sue|lawsuit|legal action|court|fraud|report you|"
            "consumer protection|regulator"
        ),
        "ja": _t("弁護士|訴え|訴訟|消費者センター|法的|詐欺|警察"),
    },
    "churn": {
        "en": _t(
            "cancel my account|cancel my subscription|switching to|switch to|"
            "leaving|never again|close my account|done with you|last time i"
        ),
        "ja": _t("解約します|解約したい|乗り換え|二度と使わない|二度と買わない|退会"),
    },
}

SPAM: dict[str, tuple[str, ...]] = {
    "en": _t(
        "earn $|make money|work from home|free followers|click here|dm me for|"
        "promo code|giveaway|crypto|bitcoin|investment opportunity|100% free|"
        "limited offer|buy followers|onlyfans|forex"
    ),
    "ja": _t(
        "副業|稼げる|高収入|フォロワー購入|無料プレゼント|クリック|仮想通貨|投資|今すぐ登録|限定オファー"
    ),
}

THANKS: dict[str, tuple[str, ...]] = {
    "en": _t("thank you|thanks|thx|ty|appreciate|cheers"),
    "ja": _t("ありがとう|感謝|助かりました"),
}

QUESTION_CUES: dict[str, tuple[str, ...]] = {
    "en": _t(
        "?|how do|how can|how to|can you|could you|can i|is there|do you|"
        "does it|when will|where is|where's|what is|what's|why|help|please|pls|"
        "plz|need|anyone"
    ),
    "ja": _t(
        "？|?|ますか|でしょうか|ですか|教えて|ください|下さい|知りたい|どうすれば|どこ|いつ|なぜ|お願い|助けて|"
        "どうやって|どうしたら|どうやれば|やり方|わからない|分からない|わかりません|分かりません|"
        "方法が|のかな"
    ),
}

# Asking the brand to act: a request needs an answer even without a question mark.
REQUEST_CUES: dict[str, tuple[str, ...]] = {
    "en": _t(
        "please|pls|plz|can you|could you|would you|i need|i want to|i'd like to|"
        "help me|let me know|fix this|sort this out|send me|call me"
    ),
    "ja": _t(
        "ください|下さい|してほしい|して欲しい|してもらいたい|お願い|頼みます|直して|対応して|"
        "連絡して|返金して|交換して"
    ),
}

# What a brand's reply says of the tweet it answers (services.triage.conversations): an apology
# answers an unhappy customer, gladness a happy one. ありがとうございます is no cue: Japanese
# brands thank every customer.
REPLY_APOLOGY: dict[str, tuple[str, ...]] = {
    "en": _t(
        "sorry|apologize|apologise|apologies|apology|frustrating|frustration|inconvenience|"
        "disappointing|disappointed|not the experience|understand your concern|regret"
    ),
    "ja": _t("申し訳|お詫び|ご迷惑|ご不便|ご不快|失礼いたしました|残念な思い"),
}

REPLY_GLAD: dict[str, tuple[str, ...]] = {
    "en": _t(
        "glad|you're welcome|you are welcome|happy to hear|great to hear|love to hear|"
        "kind words|appreciate the love|appreciate the shout|thanks for the love|"
        "thanks for the shout|enjoy|awesome|means a lot"
    ),
    "ja": _t("嬉しい|うれしい|光栄|励み|お褒め|ありがたいお言葉"),
}
