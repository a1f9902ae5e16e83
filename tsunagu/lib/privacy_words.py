"""Words the personal-data guard (tsunagu.lib.privacy) needs to tell a name from a role.

Coordinators write 様・さん after people, but just as often after roles (長女さん, ケアマネさん),
places (特養さん, 整形外科さん, なでしこの里様) and in courtesy phrases (お疲れ様). A name is
what is left once these are ruled out, so these lists decide most of the guard's precision.
All words are written as they are after NFKC normalisation (ASCII letters and digits).
"""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# People by their role or relation: writing them with 様・さん identifies nobody. Before a name
# (長女恵子さん, 主治医田中様) they are cut off and the rest is judged on its own.
PERSON_ROLES = _words(
    """
    患者 家族 親族 親戚 身内 本人 当人 利用者 入居者 入所者 対象者 相談者 保護者 介護者 主介護者 先方 当方 相手 相手方
    担当 担当者 担当医 主治医 前医 当直医 医師 医者 先生 主任 職員 事務 受付 窓口 訪看 看護 介護 看護師 介護士
    師長 院長 施設長 園長 所長 室長 部長 課長 係長 社長 会長 理事長 管理者 支配人 管理人 後見人 保佐人 補助人
    保証人 身元保証人 代理人 連帯保証人 成年後見人 相続人 友人 知人 隣人 住人 家人 婦人 老人 病人 恋人 他人 大人
    民生委員 大家 家主 近所 隣 業者 運転手 助手 歌手 選手 弁護士 司法書士 行政書士 税理士
    大工 職人 通訳 翻訳 和尚 住職 神父 牧師 学生 生徒 同僚 上司 部下 先輩 後輩 恩人 友達 お友達 仲間 お仲間
    介護職 看護職 専門職 配達 出入り業者 甥っ子 姪っ子
    娘 息子 長男 次男 三男 四男 長女 次女 三女 四女 嫁 婿 娘婿 夫 妻 旦那 主人 配偶者 内縁 内縁の夫 内縁の妻 元夫 元妻
    父 母 父親 母親 両親 親 親御 実父 実母 義父 義母 義兄 義姉 義弟 義妹 兄 姉 弟 妹 兄弟 姉妹 兄妹 姉弟
    孫 曾孫 ひ孫 甥 姪 甥御 姪御 従兄弟 従姉妹 いとこ 叔父 叔母 伯父 伯母 祖父 祖母 子 子供 子ども 赤 赤ちゃん
    婆 爺 坊 嬢 御嬢 令嬢 奥 皆 各位 客 お客 王 王子 姫 殿 神 仏 彼 彼女 某 同 両 各 諸 当該 故人
    """
)

# Places and organisations: a word ending in one of these is a facility or an office, and a name
# written straight after one is the place's own name (特養さくら, グループホームひだまり).
PLACE_WORDS = _words(
    """
    施設 貴施設 当施設 病院 医院 診療所 当院 貴院 弊院 貴所 貴社 御社 弊社 特養 老健 老健施設 介護医療院 療養型
    有料 住宅型 介護付 サ高住 高住 小規模 小多機 看多機 多機能 居宅 包括 地域包括 社協 生協 農協 役所 市役所
    区役所 役場 町役場 村役場 支所 出張所 保健所 保健センター 福祉事務所 事務所 事業所 営業所 研究所 相談所
    薬局 調剤薬局 連携室 相談室 事務室 支援室 医局 医事 看護部 事務部 連携部 相談部 福祉部 支援部 医療部 総務部
    本部 介護部 医事部 薬剤部 栄養部 病棟 外来 救急 救急隊 消防 警察 交番 裁判所 家裁 葬儀社 医師会 協会 自治会
    町内会 家族会 法人 財団 社団 市 区 町 村 県 都 府 道 国 行政 自治体 保険者 訪問看護 訪問介護 訪問入浴 訪問診療
    訪問リハ 通所 通所リハ 短期入所 入所 入浴 福祉用具 介護用品 配食 宅配 生保 福祉 地域 管轄 提携先 紹介元 紹介先
    受入先 転院先 入所先 連携先 整骨院 接骨院 鍼灸院 歯科 眼科 内科 外科 皮膚科 理美容 美容 理容 銀行 信金 新聞
    """
)

# Words that are not names, whatever the context: courtesy phrases (お疲れ様), compounds of 様
# (同様, 模様) and the like. Checked as the ending of what stands before the honorific.
NOT_NAMES = _words(
    """
    疲れ お疲れ ご苦労 苦労 お陰 御陰 お互い 御互い お世話 世話 ご愁傷 愁傷 お待ち遠 お大事 大事 ご馳走 馳走
    お粗末 粗末 ご足労 足労 御足労 お気の毒 気の毒 ご多忙 お忙しい中 お客 お子 お孫 お嫁 お婿 お隣 ご近所 ご主人
    ご本人 ご家族 ご兄弟 ご両親 ご親族 ご親戚 お父 お母 お兄 お姉 お爺 お婆 お嬢 お坊 おばあ おじい おかあ おとう
    おにい おねえ おじ おば おく おこ おまご まご よめ むすめ むすこ おむすめ だんな あか ばあ じい かあ とう ねえ
    にい みな みなみな みんな おつかれ つかれ ごくろう くろう おかげ かげ おたがい たがい おせわ せわ ごしゅうしょう
    おまちどお おだいじ だいじ おきゃく きゃく おひめ ひめ おうじ おう かみ ほとけ おてんと おひさ ごちそう おそまつ
    おまわり おいしゃ いしゃ かんごし かいごし へるぱー おとなり となり おむかい むかい ごきんじょ きんじょ
    おとうと いもうと あに あね いとこ おい めい おっと つま おくさ ごかぞく かぞく ごしゅじん ごりょうしん
    おじょう じょう ぼっ ぼう おかみ おやじ おふくろ こども ともだち ごせんぞ せんぞ おほし おつき ごくろうさ
    およめ おむこ お向かい 向かい お手伝い 手伝い
    同 模 仕 異 左 今 文 有 多 一 両 各 諸 皆 奥 神 仏 王 殿 彼 某 客 婆 爺 坊 孫 娘 嫁 婿 夫 妻 父 母 兄 姉 弟 妹
    親 子 甥 姪 隣 方 主 若 旦那 女将 大将 親方 親分 若旦那
    """
)

# Of these, only the whole word is not a name: 多様 but 本多様, 一様 but 健一様.
WHOLE_WORD_ONLY = _words(
    "同 模 仕 異 左 今 文 有 多 一 両 各 諸 皆 奥 神 仏 王 殿 彼 某 客 婆 爺 坊 孫 娘 嫁 婿 夫 妻 父 母 兄 姉 弟 妹 親 子 甥 姪 隣 方 主 若"
)

# Last characters that make a kanji word an office, a profession or a place: 看護師, 相談員,
# 担当者, 整形外科, 医事課, 薬局, 消防署, 病棟, 当院, 特養さくら園, 家族会, 社協, 平塚市,
# 警察官, 歯科医.
ROLE_ENDINGS = frozenset(
    "師 士 員 者 長 科 課 局 署 棟 院 店 園 苑 荘 館 寮 会 協 庁 省 係 班 隊 団 組 堂 舎 庵 社 市 区 県 府 都 婦 方 官 医".split()
)

# 〇〇の里様, ひまわりの家様: after の these end a facility's name, not a person's.
FACILITY_AFTER_NO = frozenset(
    "里 郷 森 杜 丘 家 園 苑 荘 館 樹 風 泉 空 海 星 花 街 邑 宿 憩 城 庭 郷 実 光 灯 和 輪 音 詩 宿 村 舎 庵".split()
)

# Names that care homes give themselves and that staff write on their own (ひまわり様).
FACILITY_NAMES_KANA = _words(
    """
    ひまわり あおぞら そよかぜ はまかぜ うみかぜ すずらん たんぽぽ ひだまり こすもす あじさい つばき やまゆり なでしこ
    わかば あおば みどり ふれあい やすらぎ いこい ぬくもり ほほえみ えがお ひかり まごころ せせらぎ こもれび
    あすなろ けやき くすのき さつき しらさぎ かもめ つくし れんげ すみれ もみじ かえで ひなた きらら ゆうゆう
    のどか はなみずき さくらんぼ おひさま こころ あゆみ
    """
)

# Kinds of facility that stand before a facility's proper name (特別養護老人ホーム　あしたば様):
# a name after one of these, in the same stretch of text, is the facility's.
FACILITY_KINDS = _words(
    """
    施設 ホーム ステーション 病院 医院 クリニック 診療所 センター ハウス ハイツ メゾン コーポ レジデンス ヴィラ
    ガーデン テラス ヒルズ ヒル 特養 老健 有料 事業所 法人 介護医療院 サ高住 グループホーム 小規模多機能 看多機
    小多機 デイサービス ショートステイ の郷 の里 の家 の園 の森 の杜 の丘 の風 苑 荘 館 寮
    """
)

# Shops and trades ending in 屋 (土屋・古屋 are names).
SHOP_WORDS = _words(
    "床屋 酒屋 魚屋 花屋 本屋 肉屋 米屋 薬屋 問屋 靴屋 茶屋 部屋 八百屋 葬儀屋 電気屋 便利屋 不動産屋 呉服屋"
)

# Words that stand in front of a name without a separator (本日木村さん来院, 長男健一さん).
LEADING_WORDS = _words(
    """
    本日 今日 明日 昨日 先日 後日 当日 翌日 前日 同日 今朝 今夜 今回 前回 次回 毎日 午前 午後 夕方 夜間 日中 深夜
    入院中 入院 退院 来院 外来 面会 同席 来所 来訪 訪問 同行 担当 前医 主治医 紹介元 連絡 報告 相談 上記 下記 同上
    先方 当方 長男 長女 次男 次女 三男 三女 四男 四女 夫 妻 娘 息子 嫁 婿 孫 甥 姪 兄 姉 弟 妹 父 母 義母 義父 義兄 義姉
    実母 実父 本人 家族 患者 利用者 入居者 故 亡 元 現 新 旧 旦那 隣人 知人 友人 介護者 担当者 担当医 主任 師長 病棟
    看護師 介護士 医師 先生 後見人 保佐人 保証人 キーパーソン 内縁 叔父 叔母 伯父 伯母 祖父 祖母 従兄弟 娘婿 配偶者
    """
)

# Katakana and Latin words for people by their role (ケアマネ田中さん: the rest is a name).
PERSON_ROLES_KATAKANA = _words(
    """
    ケアマネ ケアマネージャー ケアマネジャー ヘルパー ホームヘルパー ワーカー ケースワーカー ソーシャルワーカー
    ナース ドクター スタッフ セラピスト マネージャー マネジャー リーダー チーフ キーパーソン パートナー ファミリー
    サポーター コーディネーター カウンセラー シッター ドライバー ボランティア オーナー トレーナー ママ パパ ベビー
    シスター ブラザー ファーザー マザー
    """
)

# Katakana words found in the names of facilities and services (ケアパーク平塚様, ショートさん).
PLACE_WORDS_KATAKANA = _words(
    """
    ホーム ハウス センター クリニック ホスピタル ホスピス ステーション ケア ショート ステイ デイ サービス プラン
    リハ リハビリ タクシー レンタル メーカー ファーマシー レジデンス ガーデン ヴィラ ビラ ヴィレッジ ビレッジ パーク
    ヒルズ テラス コート プラザ タウン ライフ メディカル サポート グループ グループホーム グルホ ユニット サンライズ
    サニー ハート スマイル ハピネス ハッピー フレンド ファミリー ハーモニー グリーン ヒル ベル オアシス アネックス
    ラポール コスモス リビング サロン ルーム オフィス カンパニー ケアプラン デイケア デイサービス ナーシング
    ハイツ メゾン コーポ パレス マンション アパート
    """
)

# Latin abbreviations of professions written before さん (MSWさん, PTさん), lower case.
PERSON_ROLES_LATIN = _words(
    """
    msw psw sw mw cw cm pt ot st dr ns nr rn np pa ph cp ccm ma md do mr mrs ms staff nurse doctor team
    gh sh adl iadl icu hcu ed er or
    """
)

# What a form's label may be followed by without a name: 氏名：不明, 氏名は院内で管理.
NOT_A_NAME_AFTER_LABEL = _words(
    """
    不明 不詳 非公開 匿名 仮名 伏せ 伏字 省略 記載 記入 未記入 空欄 院内 別紙 別途 控え 登録 管理 確認 入力 なし
    無し ナシ 済 未 同上 欄 等 本人 家族 患者 変更 表記 記号 番号 イニシャル 漢字 カナ 旧姓 通称 呼び名 愛称
    """
)

# Endings of Japanese given names, for a name written without an honorific after a common
# family name (山田太郎 80代, 渡辺 正男 入院中). Characters that end common words (病, 院,
# 科, 県, 式, 法 …) are left out on purpose.
GIVEN_NAME_ENDINGS = frozenset(
    """
    郎 朗 夫 男 雄 子 美 江 恵 枝 代 香 乃 一 吉 蔵 造 平 治 司 也 哉 彦 介 助 輔 太 樹 翔 斗 奈 菜 絵 穂 織 緒 沙 紗
    弘 博 浩 宏 洋 明 昭 和 清 茂 勇 勝 実 隆 進 武 稔 豊 修 誠 光 秀 幸 信 義 敏 健 剛 保 守 衛 次 二 三 松 鶴 亀 春
    秋 雪 花 里 世 津 音 希 帆 葉 彩 愛 優 真 智 晴 正 人 登 昇 功 肇 巌 貢 毅 徹 哲 譲 稔 寛 弥 恭 亮 良 成 栄 徳
    """.split()
)

# Common family names, in kanji with their romaji (Hepburn, long vowels left out). Used for
# names written without an honorific: 山田太郎, Taro Yamada, YAMADA Taro, ヤマダ タロウ.
# Single-character names (林, 森) are left out of the kanji rule: they are also common words.
FAMILY_NAMES = [
    tuple(entry.split(":"))
    for entry in """
    佐藤:sato 鈴木:suzuki 高橋:takahashi 田中:tanaka 伊藤:ito 渡辺:watanabe 山本:yamamoto 中村:nakamura
    小林:kobayashi 加藤:kato 吉田:yoshida 山田:yamada 佐々木:sasaki 山口:yamaguchi 松本:matsumoto
    井上:inoue 木村:kimura 斎藤:saito 斉藤:saito 齋藤:saito 齊藤:saito 清水:shimizu 山崎:yamazaki
    池田:ikeda 橋本:hashimoto 阿部:abe 安部:abe 石川:ishikawa 山下:yamashita 中島:nakajima 中嶋:nakajima
    石井:ishii 小川:ogawa 前田:maeda 岡田:okada 長谷川:hasegawa 藤田:fujita 後藤:goto 近藤:kondo
    村上:murakami 遠藤:endo 青木:aoki 坂本:sakamoto 福田:fukuda 太田:ota 西村:nishimura 藤井:fujii
    金子:kaneko 岡本:okamoto 藤原:fujiwara 中野:nakano 三浦:miura 原田:harada 中川:nakagawa 松田:matsuda
    竹内:takeuchi 小野:ono 田村:tamura 中山:nakayama 和田:wada 石田:ishida 森田:morita 上田:ueda
    内田:uchida 柴田:shibata 酒井:sakai 宮崎:miyazaki 横山:yokoyama 高木:takagi 安藤:ando 宮本:miyamoto
    大野:ono 小島:kojima 谷口:taniguchi 今井:imai 工藤:kudo 高田:takada 増田:masuda 丸山:maruyama
    杉山:sugiyama 村田:murata 大塚:otsuka 新井:arai 荒井:arai 小山:koyama 平野:hirano 藤本:fujimoto
    河野:kono 上野:ueno 野口:noguchi 武田:takeda 竹田:takeda 松井:matsui 千葉:chiba 岩崎:iwasaki
    菅原:sugawara 木下:kinoshita 久保:kubo 佐野:sano 野村:nomura 松尾:matsuo 市川:ichikawa 菊地:kikuchi
    菊池:kikuchi 杉本:sugimoto 古川:furukawa 大西:onishi 島田:shimada 水野:mizuno 桜井:sakurai
    高野:takano 渡部:watanabe 渡邊:watanabe 渡邉:watanabe 吉川:yoshikawa 山内:yamauchi 西田:nishida
    飯田:iida 西川:nishikawa 小松:komatsu 北村:kitamura 安田:yasuda 五十嵐:igarashi 川口:kawaguchi
    平田:hirata 中田:nakata 久保田:kubota 服部:hattori 岩田:iwata 土屋:tsuchiya 川崎:kawasaki
    福島:fukushima 本田:honda 本多:honda 樋口:higuchi 秋山:akiyama 田口:taguchi 永井:nagai 山中:yamanaka
    中西:nakanishi 吉村:yoshimura 川上:kawakami 大橋:ohashi 石原:ishihara 松岡:matsuoka 浅野:asano
    馬場:baba 荒木:araki 大久保:okubo 野田:noda 小澤:ozawa 小沢:ozawa 田辺:tanabe 川村:kawamura
    星野:hoshino 黒田:kuroda 尾崎:ozaki 望月:mochizuki 永田:nagata 長田:nagata 熊谷:kumagai 内藤:naito
    松村:matsumura 西山:nishiyama 大谷:otani 平井:hirai 大島:oshima 岩本:iwamoto 片山:katayama
    本間:honma 早川:hayakawa 横田:yokota 岡崎:okazaki 大石:oishi 鎌田:kamata 成田:narita 宮田:miyata
    小田:oda 石橋:ishibashi 篠原:shinohara 須藤:sudo 河合:kawai 大川:okawa 高井:takai 松下:matsushita
    桑原:kuwabara 宮下:miyashita 吉岡:yoshioka 小池:koike 中尾:nakao 村井:murai 森本:morimoto
    吉原:yoshihara 萩原:hagiwara 小西:konishi 佐久間:sakuma 藤川:fujikawa 北川:kitagawa 坂口:sakaguchi
    松原:matsubara 富田:tomita 三上:mikami 今村:imamura 藤村:fujimura 中井:nakai 伊東:ito 大森:omori
    森下:morishita 中谷:nakatani 梅田:umeda 杉浦:sugiura 西本:nishimoto 福井:fukui 高山:takayama
    長尾:nagao 松山:matsuyama 大竹:otake 村松:muramatsu 宇野:uno 小野寺:onodera 岡部:okabe
    田所:tadokoro 井手:ide 西郷:saigo 氷室:himuro 大町:omachi 土井:doi 寺田:terada 細川:hosokawa
    三宅:miyake 大山:oyama 奥村:okumura 川田:kawata 米田:yoneda 松永:matsunaga 上原:uehara
    青山:aoyama 神田:kanda 白石:shiraishi 中本:nakamoto 落合:ochiai 宮川:miyagawa 小倉:ogura
    堀内:horiuchi 岩井:iwai 新田:nitta 森川:morikawa 藤岡:fujioka 野中:nonaka 杉田:sugita 水谷:mizutani
    津田:tsuda 平山:hirayama 広瀬:hirose 小原:ohara 宮内:miyauchi 石黒:ishiguro 藤野:fujino 木原:kihara
    上村:uemura 堀田:hotta 古田:furuta 中澤:nakazawa 中沢:nakazawa 西尾:nishio 金井:kanai 牧野:makino
    関口:sekiguchi 武藤:muto 松崎:matsuzaki 内山:uchiyama 田島:tajima 野崎:nozaki 村山:murayama
    豊田:toyoda 吉野:yoshino 川島:kawashima 岡村:okamura 飯塚:iizuka 坂井:sakai 秋元:akimoto
    松浦:matsuura 矢野:yano 石塚:ishizuka 大平:ohira 森山:moriyama 西岡:nishioka 榎本:enomoto
    堀江:horie 原口:haraguchi 宮原:miyahara 北野:kitano 金田:kaneda 奥田:okuda 島崎:shimazaki
    柳田:yanagida 竹中:takenaka 福本:fukumoto 岩瀬:iwase 戸田:toda 三好:miyoshi 坂田:sakata 植田:ueda
    小森:komori 菅野:kanno 小笠原:ogasawara 高瀬:takase 大塚:otsuka 吉本:yoshimoto 中原:nakahara
    野沢:nozawa 野澤:nozawa 宮沢:miyazawa 宮澤:miyazawa 藤沢:fujisawa 菅:suga 林:hayashi 森:mori
    原:hara 関:seki 辻:tsuji 堀:hori 岡:oka 谷:tani 堤:tsutsumi 東:higashi 西:nishi 南:minami
    北:kita 泉:izumi 星:hoshi 岩:iwa 林田:hayashida 森岡:morioka 片岡:kataoka 今野:konno 紺野:konno
    """.split()
]
