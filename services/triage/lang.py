"""Language identification without a model: scripts first, then Latin-script word profiles.

Japanese is recognised by kana (a tweet with any kana, even mixed with English, is Japanese);
Han without kana is Chinese; Hangul is Korean; other scripts map to their main language. Latin
text is scored against short stopword profiles; when no profile clearly wins the answer is
``und`` rather than a guess of English.
"""

from __future__ import annotations

import re

_MENTION_URL = re.compile(r"https?://\S+|[@#＃]\w+|&amp;|&lt;|&gt;")
_WORD = re.compile(r"[a-zà-öø-ÿ']+")

_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ja", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
)

# Frequent function words of each language (written from general knowledge of the languages).
_PROFILES: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and is are was were to of in for on my me you your it this that with have has "
        "not no but be at from we they what why how when can i'm it's don't just still a an so "
        "do did get got been will would there here our us please thanks thank",
        "es": "el la los las que y en un una por para con es mi su lo al del se muy pero "
        "como más está gracias hola",
        "fr": "le la les de des et en un une pour pas est je vous mon ma que qui dans sur avec "
        "mais très merci bonjour",
        "de": "der die das und ist nicht ich sie mit von zu den ein eine auf für es mein dem "
        "noch aber danke bitte",
        "pt": "os que em um uma para com não é meu minha da na mais obrigado olá você",
        "it": "il lo la gli le di che e un una per con non è mio mia del della sono ma grazie ciao",
        "nl": "de het een en van is niet ik je mijn met op voor dat die maar nog wel dank",
        "id": "yang dan di ke dari ini itu tidak saya untuk dengan ada aku kamu sudah belum "
        "terima kasih",
        "tr": "ve bir bu da de için ile değil ben ne çok ama teşekkür merhaba",
    }.items()
}


def detect(text: str) -> tuple[str, str]:
    """The ISO 639-1 code of ``text`` (or ``und``) and a short reason."""
    body = _MENTION_URL.sub(" ", text).replace("’", "'")
    for lang, pattern in _SCRIPTS:
        if pattern.search(body):
            return lang, f"script:{lang}"
    words = _WORD.findall(body.lower())
    if not words:
        return "und", "no words"
    scores = {lang: sum(w in profile for w in words) for lang, profile in _PROFILES.items()}
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] == 0:
        # No function word at all (short, telegraphic tweets): plain ASCII letters are English far
        # more often than not on support handles; accented Latin text stays undetermined.
        ascii_letters = all(ch.isascii() for ch in body if ch.isalpha())
        return ("en", "ascii, no profile") if ascii_letters else ("und", "no profile")
    if ranked[0] == ranked[1]:
        return ("en", "tie, English first") if scores["en"] == ranked[0] else ("und", "tie")
    return best, f"profile:{best}={ranked[0]}"
