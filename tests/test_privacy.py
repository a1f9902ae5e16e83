"""The personal-data guard: what coordinators write that identifies a patient, and what does not.

Examples are written as discharge coordinators write them in a summary or a message.
"""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from tsunagu.cases.privacy import (
    ADDRESS,
    BIRTH_DATE,
    EMAIL,
    ID_NUMBER,
    NAME,
    PHONE,
    GuardedTextField,
    find_personal_data,
    guarded_clean,
    validate_no_personal_data,
)

# (text, kind, the matched text as written)
POSITIVE = [
    # phone and fax numbers
    ("長女TEL 0463-12-3456", PHONE, "0463-12-3456"),
    ("キーパーソン携帯 090-1234-5678 日中可", PHONE, "090-1234-5678"),
    ("自宅 0463123456", PHONE, "0463123456"),
    ("連絡先09012345678(長男)", PHONE, "09012345678"),
    ("FAX: 0463-12-3457 へ送付済み", PHONE, "0463-12-3457"),
    ("家族連絡先 03-1234-5678", PHONE, "03-1234-5678"),
    ("(0463)12-3456 まで", PHONE, "(0463)12-3456"),
    ("携帯 ０９０－１２３４－５６７８", PHONE, "０９０－１２３４－５６７８"),
    ("長男 080ー1111ー2222", PHONE, "080ー1111ー2222"),
    ("TEL 22-3456(自宅)", PHONE, "22-3456"),
    ("電話番号は0463 55 1234です", PHONE, "0463 55 1234"),
    ("+81-90-1234-5678", PHONE, "+81-90-1234-5678"),
    # dates of birth
    ("1941年3月5日生", BIRTH_DATE, "1941年3月5日生"),
    ("S16.3.5生まれ、独居", BIRTH_DATE, "S16.3.5生まれ"),
    ("昭和16年3月5日", BIRTH_DATE, "昭和16年3月5日"),
    ("生年月日 1941/03/05", BIRTH_DATE, "1941/03/05"),
    ("生年月日：昭和１６年３月５日", BIRTH_DATE, "昭和１６年３月５日"),
    ("大正14年12月1日生まれの女性", BIRTH_DATE, "大正14年12月1日生まれ"),
    ("H2.4.10生", BIRTH_DATE, "H2.4.10生"),
    ("DOB 1938-07-21", BIRTH_DATE, "1938-07-21"),
    ("誕生日は2001年5月6日", BIRTH_DATE, "2001年5月6日"),
    ("昭和5年生まれ 1930年1月20日", BIRTH_DATE, "1930年1月20日"),
    ("S16年3月生まれ", BIRTH_DATE, "S16年3月生まれ"),
    # e-mail
    ("長男 taro.yamada@example.co.jp に連絡", EMAIL, "taro.yamada@example.co.jp"),
    ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", EMAIL, "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
    # insurance and patient numbers
    ("被保険者番号 12345678", ID_NUMBER, "被保険者番号 12345678"),
    ("患者ID: 004512", ID_NUMBER, "患者ID: 004512"),
    ("カルテ番号 A-2231", ID_NUMBER, "カルテ番号 A-2231"),
    ("介護保険 0012345678", ID_NUMBER, "介護保険 0012345678"),
    ("ID 55321 で照会", ID_NUMBER, "ID 55321"),
    ("診察券番号１２３４５", ID_NUMBER, "診察券番号１２３４５"),
    ("番号 98765432 の方", ID_NUMBER, "98765432"),
    # street addresses
    ("平塚市浅間町1丁目2番3号に独居", ADDRESS, "1丁目2番3号"),
    ("浅間町1-2-3在住", ADDRESS, "1-2-3"),
    ("秦野市本町三丁目", ADDRESS, "三丁目"),
    ("大字上平塚1234番地", ADDRESS, "1234番地"),
    ("2丁目5-8のアパート2階", ADDRESS, "2丁目5-8"),
    ("〒254-0041", ADDRESS, "〒254-0041"),
    ("伊勢原市桜台2番3号", ADDRESS, "2番3号"),
    # names with honorifics
    ("山田様は独居", NAME, "山田様"),
    ("鈴木さんの退院について", NAME, "鈴木さん"),
    ("担当の佐藤氏より", NAME, "佐藤氏"),
    ("山田 花子様", NAME, "山田 花子様"),
    ("スミスさん 英語のみ", NAME, "スミスさん"),
    ("太郎くん 18歳", NAME, "太郎くん"),
    ("花子ちゃんと呼ぶと落ち着く", NAME, "花子ちゃん"),
    ("高橋殿", NAME, "高橋殿"),
    ("前医田中様より紹介", NAME, "前医田中様"),
    ("直人さんは穏やか", NAME, "直人さん"),
    ("阿部様 入院中", NAME, "阿部様"),
    ("住所は平塚市浅間町12-3", ADDRESS, "住所は平塚市浅間町12-3"),
    ("S60.4.1 胃切除", BIRTH_DATE, "S60.4.1"),
    ("後期高齢者医療 12345678", ID_NUMBER, "後期高齢者医療 12345678"),
    ("FAX番号：0463-55-6677", PHONE, "0463-55-6677"),
    ("FAX0463-12-3457/TEL", PHONE, "0463-12-3457"),
]

NEGATIVE = [
    "アムロジピン5mg 1日1回",
    "ラシックス20mg、生食100ml",
    "2026年10月3日 手術",
    "令和8年1月 入院",
    "R8.1.10 入院、R8.1.12 手術",
    "Hb 9.8、Alb 2.8、CRP 0.3",
    "eGFR 35、Cr 1.45",
    "50床の療養病棟",
    "要介護3、区分変更申請中",
    "BP 130/80、HR 72",
    "SpO2 95%(O2 3L/min)",
    "NRS 3/10",
    "11/20 カンファレンス予定",
    "14:00 面談",
    "医療区分2-3程度",
    "患者様とご家族様に説明済み",
    "奥様が毎日面会",
    "皆様よろしくお願いします",
    "担当者様へ",
    "看護師さんの見守り下で歩行",
    "家族さんの希望あり",
    "娘さん、息子さんとも遠方",
    "ケアマネさんと調整済み",
    "主治医の先生より説明",
    "施設様の受入れ基準を確認",
    "長女様がキーパーソン",
    "ご本人様は施設入所に同意",
    "ヘルパーさん週3回",
    "貴院様",
    "〇〇病院様からの紹介",
    "夜間の様子を確認",
    "同様に対応",
    "氏名は院内で管理",
    "2026/11/21 退院予定",
    "WBC 12000、Plt 15.2万",
    "予算15万円/月まで",
    "体重 45.5kg、身長 150cm",
    "HbA1c 7.2%",
    "1日3回の吸引",
    "2026年11月 転院希望",
    "生検の結果待ち 2026年11月2日",
    "第3-4腰椎圧迫骨折",
    "入院は2025年4月12日",
    "201号室",
    "心不全 NYHA III",
    "GCS E4V4M6",
    "訪問看護ステーション様と連携",
    "お疲れ様です",
    "おばあさんは穏やか",
    "MMSE 18/30",
    "術後3日目 2-3回吸引",
    "看護師長さんより申し送り",
    "整形外科さんと相談",
    "地域連携室さん経由",
    "介護タクシーさん手配済み",
    "住所地の市役所に申請",
    "住所不定",
    "COVID-19 既往",
    "電話にて家族と相談、電話 3回あり",
    "昭和60年頃 胃切除",
    "平成30年4月1日 脳梗塞発症",
    "退院日 2026.11.30",
    "H30年脳梗塞既往",
    "ADL区分3、医療区分2",
    "体温 36.5℃",
    "民生委員さん、包括さんと同席",
    "お子様、お孫さんの面会あり",
    "特養さくら園様より返信",
    "弁護士さんが後見申立て中",
    "生活保護担当ケースワーカーさんへ連絡",
    "MSW山本より",
    "80代 女性、独居",
    "2026年1月5日生検",
    "介護保険 10000円の自己負担",
    "医療保険 3割負担、介護保険 要介護2",
    "〇〇様、○○さん、××氏(仮名で記載)",
    "ヒューマログ注4-4-4単位、朝昼夕 4-4-4",
    "ノボラピッド 6-6-6-0",
    "認定有効期間 2025/10/01-2027/09/30",
    "要介護認定 R7.10.1〜R9.9.30",
    "血糖 180-250mg/dL",
    "病室 305号室、3号病棟",
]


@pytest.mark.parametrize(("text", "kind", "matched"), POSITIVE)
def test_finds_personal_data(text, kind, matched):
    findings = find_personal_data(text)
    assert [(f.kind, f.text) for f in findings] == [(kind, matched)]
    start, end = findings[0].span
    assert text[start:end] == matched


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_clinical_text_passes(text):
    assert find_personal_data(text) == []


def test_there_are_plenty_of_examples():
    assert len(POSITIVE) >= 40
    assert len(NEGATIVE) >= 40


def test_several_findings_in_one_text_in_order():
    text = "山田様(S16.3.5生)、自宅0463-12-3456、浅間町1-2-3"
    kinds = [f.kind for f in find_personal_data(text)]
    assert kinds == [NAME, BIRTH_DATE, PHONE, ADDRESS]


def test_spans_point_into_the_original_full_width_text():
    text = "連絡は　ＴＥＬ　０４６３－１２－３４５６　まで"
    (finding,) = find_personal_data(text)
    assert text[slice(*finding.span)] == "０４６３－１２－３４５６"


def test_message_says_what_and_why_in_japanese():
    (finding,) = find_personal_data("TEL 0463-12-3456")
    assert finding.label == "電話・FAX番号"
    assert finding.message.startswith(
        "電話番号のような数字『0463-12-3456』が含まれています。個人を特定できる情報は登録できません。"
    )
    assert "窓口" in finding.reason


def test_validator_and_helpers():
    validate_no_personal_data("Alb 2.8、経口摂取良好")
    with pytest.raises(ValidationError) as error:
        validate_no_personal_data("鈴木さん TEL 0463-12-3456")
    assert len(error.value.messages) == 2
    assert all(e.code == "personal_data" for e in error.value.error_list)
    assert guarded_clean("  嚥下食で摂取  ") == "嚥下食で摂取"
    with pytest.raises(ValidationError):
        guarded_clean("患者ID 12345")


def test_guarded_text_field_in_any_form():
    class MessageForm(forms.Form):
        body = GuardedTextField(label="本文")

    form = MessageForm({"body": "佐藤様の件、1941年3月5日生です"})
    assert not form.is_valid()
    assert len(form.errors["body"]) == 2
    assert MessageForm({"body": "明日14:00に面談可能です"}).is_valid()


def test_empty_text():
    assert find_personal_data("") == []
    assert find_personal_data(None) == []
