"""Japanese first, English on request: the switch, the pages, and a complete English catalogue."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

from tests.base import PersonaTestCase
from tsunagu.network.models import CareLevel
from tsunagu.referrals.models import Referral

LOGIN = reverse("accounts:login")
DIRECTORY = reverse("facilities:directory")
SET_LANGUAGE = reverse("set_language")
MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
SOURCE = Path(settings.BASE_DIR) / "tsunagu"


def parse_po(text):
    """The entries of a gettext .po file as dicts: context, id, plural, strs (list), fuzzy.

    Obsolete entries (#~) are skipped; the header (empty msgid) is returned like any entry.
    """
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"context": None, "id": None, "plural": None, "strs": {}, "fuzzy": False}
        field = None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in (flag.strip() for flag in line[2:].split(","))
                continue
            if not line or line.startswith("#"):
                continue
            match = re.fullmatch(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")', line)
            if match:
                keyword, index, value = match.groups()
                field = {"msgctxt": "context", "msgid": "id", "msgid_plural": "plural"}.get(keyword)
                if field is None:
                    field = ("strs", int(index or 0))
                    entry["strs"][field[1]] = ast.literal_eval(value)
                else:
                    entry[field] = ast.literal_eval(value)
            elif line.startswith('"') and field is not None:
                if isinstance(field, tuple):
                    entry["strs"][field[1]] += ast.literal_eval(line)
                else:
                    entry[field] += ast.literal_eval(line)
            else:
                raise ValueError(f"unreadable .po line: {line!r}")
        if entry["id"] is not None:
            entry["strs"] = [entry["strs"][index] for index in sorted(entry["strs"])]
            entries.append(entry)
    return entries


def untranslated(entries):
    """Entries a user would see in Japanese under English: fuzzy, or with an empty msgstr."""
    return [e for e in entries if e["id"] and (e["fuzzy"] or not e["strs"] or not all(e["strs"]))]


PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|\{\w*\}|%[sdf]")


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


class CatalogueTests(SimpleTestCase):
    """The English .po is complete and the committed .mo matches it (the demo needs no gettext)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entries = parse_po((MESSAGES / "django.po").read_text(encoding="utf-8"))

    def test_the_checker_catches_empty_and_fuzzy_entries(self):
        sample = (
            'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
            'msgid "受入可"\nmsgstr "Can accept"\n\n'
            'msgid "受入不可"\nmsgstr ""\n\n'
            '#, fuzzy\nmsgid "要相談"\nmsgstr "Needs discussion"\n\n'
            'msgid "%(n)s件"\nmsgid_plural "%(n)s件"\nmsgstr[0] "%(n)s result"\nmsgstr[1] ""\n\n'
            'msgid ""\n"長い"\n"文"\nmsgstr ""\n"A long "\n"sentence"\n'
        )
        self.assertEqual([e["id"] for e in untranslated(parse_po(sample))], ["受入不可", "要相談", "%(n)s件"])

    def test_every_message_is_translated_and_none_is_fuzzy(self):
        self.assertGreater(len(self.entries), 100)
        missing = [e["id"] for e in untranslated(self.entries)]
        self.assertEqual(missing, [], "untranslated or fuzzy entries in the English .po")

    def test_the_header_is_not_fuzzy_and_says_english(self):
        header = next(e for e in self.entries if e["id"] == "")
        self.assertFalse(header["fuzzy"])
        self.assertIn("Language: en\n", header["strs"][0])

    def test_translations_keep_the_placeholders(self):
        for entry in self.entries:
            if not entry["id"]:
                continue
            sources = {tuple(placeholders(entry["id"])), tuple(placeholders(entry["plural"] or entry["id"]))}
            for text in entry["strs"]:
                with self.subTest(msgid=entry["id"]):
                    self.assertIn(tuple(placeholders(text)), sources)

    def test_compiled_catalogue_matches_the_po(self):
        with open(MESSAGES / "django.mo", "rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        for entry in self.entries:
            if not entry["id"]:
                continue
            with self.subTest(msgid=entry["id"]):
                if entry["plural"] is not None:
                    got = (
                        compiled.npgettext(entry["context"], entry["id"], entry["plural"], 2)
                        if entry["context"]
                        else compiled.ngettext(entry["id"], entry["plural"], 2)
                    )
                    self.assertEqual(got, entry["strs"][1])
                else:
                    got = (
                        compiled.pgettext(entry["context"], entry["id"])
                        if entry["context"]
                        else compiled.gettext(entry["id"])
                    )
                    self.assertEqual(got, entry["strs"][0], "run compilemessages and commit the .mo")


# Argument positions as makemessages passes them to xgettext: (context, msgid).
GETTEXT_CALLS = {
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
# templatize() turns {% translate %} and {% blocktranslate %} into calls like these.
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:u'(?:[^'\\]|\\.)*'\s*,?\s*)+)")
LITERAL = re.compile(r"u'(?:[^'\\]|\\.)*'")


def messages_in_python(source):
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in GETTEXT_CALLS:
            continue
        context_at, msgid_at = GETTEXT_CALLS[name]
        args = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args]
        if len(args) > msgid_at and isinstance(args[msgid_at], str):
            found.add((args[context_at] if context_at is not None else None, args[msgid_at]))
    return found


def messages_in_template(source):
    found = set()
    for function, arguments in TEMPLATE_CALL.findall(templatize(source)):
        literals = [ast.literal_eval(literal) for literal in LITERAL.findall(arguments)]
        found.add(
            (literals[0], literals[1])
            if function.startswith(("pgettext", "npgettext"))
            else (None, literals[0])
        )
    return found


def messages_in_source():
    found = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" not in path.parts:
            found |= messages_in_python(path.read_text(encoding="utf-8"))
    for path in SOURCE.rglob("*.html"):
        found |= messages_in_template(path.read_text(encoding="utf-8"))
    return found


class SourceCoverageTests(SimpleTestCase):
    """A string wrapped for translation but missing from the .po would show in Japanese under English."""

    def test_the_extractor_reads_python_and_templates(self):
        python = 'from django.utils.translation import gettext_lazy as _, pgettext\nA = _("受入可")\nB = pgettext("button", "決定")\n'
        self.assertEqual(messages_in_python(python), {(None, "受入可"), ("button", "決定")})
        template = (
            '{% load i18n %}{% translate "施設" %}{% translate "決定" context "button" %}'
            "{% blocktranslate with n=count %}{{ n }}件{% endblocktranslate %}"
        )
        self.assertEqual(
            messages_in_template(template), {(None, "施設"), ("button", "決定"), (None, "%(n)s件")}
        )

    def test_every_translatable_string_in_the_source_is_in_the_po(self):
        entries = parse_po((MESSAGES / "django.po").read_text(encoding="utf-8"))
        in_po = {(entry["context"], entry["id"]) for entry in entries}
        in_source = messages_in_source()
        self.assertGreater(len(in_source), 100)
        missing = sorted(in_source - in_po, key=str)
        self.assertEqual(
            missing, [], "run makemessages -l en, translate, compilemessages and commit both files"
        )


class LabelTests(SimpleTestCase):
    def test_choice_labels_follow_the_language(self):
        with translation.override("en"):
            self.assertEqual(CareLevel.CARE3.label, "Care level 3")
            self.assertEqual(CareLevel.SUPPORT1.label, "Support level 1")
            self.assertEqual(Referral.Status.ACCEPTED.label, "Can accept")
            self.assertEqual(Referral.Status.RELEASED.label, "Released (another facility chosen)")
        with translation.override("ja"):
            self.assertEqual(CareLevel.CARE3.label, "要介護3")
            self.assertEqual(Referral.Status.ACCEPTED.label, "受入可")


class LanguageSwitchTests(PersonaTestCase):
    def test_login_page_is_japanese_by_default(self):
        response = self.client.get(LOGIN)
        self.assertContains(response, '<html lang="ja">')
        self.assertContains(response, "ユーザー名")
        self.assertNotContains(response, "Username")
        # The switch offers the other language.
        self.assertContains(response, 'name="language" value="en"')

    def test_visitor_switches_the_login_page_to_english(self):
        response = self.client.post(SET_LANGUAGE, {"language": "en", "next": LOGIN})
        self.assertRedirects(response, LOGIN, fetch_redirect_response=False)
        response = self.client.get(LOGIN)
        self.assertContains(response, '<html lang="en">')
        self.assertContains(response, "Username")
        self.assertContains(response, "Log in")
        self.assertNotContains(response, "ユーザー名")
        self.assertContains(response, 'name="language" value="ja"')

    def test_browser_asking_for_english_gets_english(self):
        response = self.client.get(LOGIN, headers={"accept-language": "en-GB,en;q=0.9"})
        self.assertContains(response, "Password")
        self.assertNotContains(response, "パスワード")

    def test_browser_asking_for_an_unknown_language_gets_japanese(self):
        response = self.client.get(LOGIN, headers={"accept-language": "fr"})
        self.assertContains(response, '<html lang="ja">')

    def test_member_reads_the_directory_in_english_and_switches_back(self):
        self.login(self.sender_msw)
        response = self.client.get(DIRECTORY)
        self.assertContains(response, "施設をさがす")
        self.assertContains(response, "本日更新")

        self.client.post(SET_LANGUAGE, {"language": "en", "next": DIRECTORY})
        response = self.client.get(DIRECTORY)
        self.assertContains(response, '<html lang="en">')
        self.assertContains(response, "Find facilities")
        self.assertContains(response, "Updated today")
        self.assertContains(response, "Free beds")
        self.assertNotContains(response, "施設をさがす")
        # Facility names and the reference catalogue are data, kept as coordinators write them.
        self.assertContains(response, "特養あおば")
        self.assertContains(response, "胃ろう・腸ろう")
        self.assertContains(response, "急性期")

        response = self.client.post(SET_LANGUAGE, {"language": "ja", "next": DIRECTORY})
        self.assertRedirects(response, DIRECTORY, fetch_redirect_response=False)
        self.assertContains(self.client.get(DIRECTORY), "施設をさがす")


class DateFormatTests(SimpleTestCase):
    def test_dates_read_japanese_style_in_japanese_and_plainly_in_english(self):
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from tsunagu.lib.japanese_dates import japanese_date, japanese_datetime

        moment = datetime(2026, 11, 21, 14, 5, tzinfo=ZoneInfo("Asia/Tokyo"))
        with translation.override("ja"):
            self.assertEqual(japanese_datetime(moment), "2026年11月21日(土) 14:05")
        with translation.override("en"):
            self.assertEqual(japanese_date(moment), "Sat 21 Nov 2026")
            self.assertEqual(japanese_datetime(moment), "Sat 21 Nov 2026 14:05")
