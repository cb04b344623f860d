"""Personal data out of free text: phone numbers, ID-card numbers and self-introduced names are masked.

``scrub_text`` is applied wherever text written by or about callers and reporters enters the platform (hotline call
notes, case descriptions of every import, the public Open311 list). It favours masking too much over too little: a
number that looks like a phone number in a call note is masked even if it was something else.

What is masked, and what it becomes:

- mobile numbers (11 digits, 1[3-9]…), with or without a ``+86``/``0086``/``86`` prefix, written with spaces,
  hyphens, dots, brackets or none, in ASCII or full-width digits or in Chinese numerals → ``[电话]``;
- landlines with an area code (``0349-5551234``, ``(0349) 555 1234``, ``+86 349 5551234``) → ``[电话]``; a 7–8 digit
  number without area code only right after a word that announces a number (电话, 号码, 座机, 联系, 回电, tel …);
- ID-card numbers: 18 digits (the last may be X) and the old 15-digit form, with a plausible birth date
  → ``[身份证号]``;
- names a person gives for themselves (我叫张三, 本人李四, 姓名：王五, 联系人赵六 …) → ``[姓名]``.

This module imports nothing of the project, so any part (pipeline, case service, API) can use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["ID_TOKEN", "NAME_TOKEN", "PHONE_TOKEN", "PII_HINT", "scrub_optional", "scrub_text"]

PHONE_TOKEN = "[电话]"
ID_TOKEN = "[身份证号]"
NAME_TOKEN = "[姓名]"

# Full-width forms (０-９, ＋, －, （, …), the ideographic space and the many dashes, one character for one, so a
# match in the normalised text is the same span of the original.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x2212: 0x2D, **{cp: 0x2D for cp in range(0x2010, 0x2016)}})
# Numbers read out digit by digit (一三九 一二三四 …), recognised in a second pass.
_NUMERALS = str.maketrans({"〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
                           "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"})

_SEP = r"(?:[ \t\-.()\[\]]{1,3})"  # between digits: spaces, hyphens, dots, brackets — at most three
_S = f"{_SEP}?"
_PREFIX = r"(?:(?:\+|00)\s?86|86)\s?[-.]?\s?"  # +86 / 0086 / 86, the country code
_MOBILE = rf"(?:{_PREFIX}|0)?[(\[]?1{_S}[3-9](?:{_S}\d){{9}}"  # 0139…: the long-distance 0 before a mobile
_LANDLINE = (  # with the country code the area code drops its 0; without it the 0 is required
    rf"(?:{_PREFIX}(?:[(\[]\s?)?0?|(?:[(\[]\s?)?0){_S}[1-9](?:{_S}\d){{1,2}}{_S}[2-9](?:{_S}\d){{6,7}}")
# One pattern, so that the leftmost number wins: a mobile is tried first at each place, then a landline.
_PHONE = re.compile(rf"(?<!\d)(?:{_MOBILE}|{_LANDLINE})(?!\d)")
_CUE = r"(?:电话|手机|号码|座机|固话|联系|回电|致电|来电|热线|拨打|tel|phone)"
_LOCAL = re.compile(rf"(?i){_CUE}[^0-9\n]{{0,6}}?(?<!\d)([2-9](?:{_S}\d){{6,7}})(?!\d)")


def _spaced(*digits: str) -> str:
    """A pattern of one digit after another (each a character class or an alternation of digit pairs already
    spaced), any separator allowed between two digits."""
    return _S.join(digits)


def _pair(*alternatives: tuple[str, str]) -> str:
    return "(?:" + "|".join(_spaced(a, b) for a, b in alternatives) + ")"


_D = "[0-9]"
_MONTH = _pair(("0", "[1-9]"), ("1", "[0-2]"))
_DAY = _pair(("0", "[1-9]"), ("[12]", _D), ("3", "[01]"))
_CENTURY = _pair(("1", "[89]"), ("2", "0"))
# The birth date inside the number is checked by the pattern itself, so that a run of digits that is no ID number
# does not hide one that follows it.
_ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])(?:{_spaced('[1-9]', *[_D] * 5, _CENTURY, _D, _D, _MONTH, _DAY, *[_D] * 3, '[0-9Xx]')}"
    rf"|{_spaced('[1-9]', *[_D] * 5, _D, _D, _MONTH, _DAY, *[_D] * 3)})(?![0-9Xx])")

# Names: a cue by which a person names themselves, then a name of two to four Chinese characters. After a cue that
# can only introduce a name (我叫, 姓名：) any characters count; after one that may introduce something else (我是
# 附近居民, 本人反映) the name must start with a common surname.
_HAN = r"[\u4e00-\u9fff]"
_SURNAMES_2 = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "端木",
               "轩辕", "长孙", "宇文", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "申屠")
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全"
    "佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚"
    "鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁"
    "芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶"
    "斯元束檀衣信展阴昝智幸奉植衡富尧闭由")
_COMPOUND = "|".join(_SURNAMES_2)
_SURNAME = f"(?:{_COMPOUND}|[{_SURNAMES_1}])"
# Characters that end a name: what usually follows it in a call note (反映, 来电, 住在, 的, 电话 …).
_AFTER = "反来电住在是的说要投举称先女家今昨现想向对于和与及身手联号你我他她请希因所看发打致到从已就也都很不没被把给了"
_GIVEN = rf"{_HAN}(?:(?![{_AFTER}]){_HAN})?"  # one or two characters
_STRONG_CUE = (r"(?:我叫|我的名字是|我的名字叫|名字叫|名叫|姓名|名字|联系人|来电人|报案人|举报人|投诉人|反映人|报修人"
               r"|户主|业主姓名)")
_WEAK_CUE = r"(?:我是|本人是|本人|我系)"
_WIDE = re.compile("[\uff01-\uff5e\u3000\u00a0\u2010-\u2015\u2212]")
_NUMERAL = "[〇零一幺二两三四五六七八九]"
_SPOKEN = re.compile(f"{_NUMERAL}(?:[ .-]?{_NUMERAL}){{6}}")
_ANY_CUE = re.compile(f"{_STRONG_CUE}|{_WEAK_CUE}")
# Text that matches none of this holds nothing scrub_text would mask: every number it masks has at least seven
# digits, at most three separators apart (_SEP, in any width); names follow a cue. Plain characters only, so the
# same pattern runs in DuckDB and Arrow (RE2): a bulk load scrubs just the rows that match.
_HINT_SEP = "[ \t.()\\[\\]\u00a0\u3000\u2010-\u2015\u2212\uff08\uff09\uff0d\uff0e\uff3b\uff3d-]"
_SEVEN_DIGITS = f"[0-9０-９](?:{_HINT_SEP}{{0,3}}[0-9０-９]){{6}}"
PII_HINT = f"{_SEVEN_DIGITS}|{_SPOKEN.pattern}|{_ANY_CUE.pattern}"
_HINT = re.compile(PII_HINT)
_SEVEN = re.compile(_SEVEN_DIGITS)
_NOT_A_NAME = r"(?:电话|手机|号码|联系|身份|地址|住址|反映|来电|表示|未|不|称|说|要|的|在|是)"  # 联系人电话…
_NAME_STRONG = re.compile(rf"{_STRONG_CUE}\s*[:：为是]?\s*(?!{_NOT_A_NAME})((?:{_COMPOUND}|{_HAN}){_GIVEN})")
# After 本人/我是 a function word that is also a surname (本人于昨日…, 我是和平小区…) does not begin a name.
_NAME_WEAK = re.compile(
    rf"{_WEAK_CUE}\s*[:：]?\s*(?![于向和曾都经])({_SURNAME}(?!先生|女士|师傅|同志|某){_GIVEN})")


def _replace_spans(text: str, view: str, pattern: re.Pattern[str], token: str, group: int = 0) -> str:
    """Replace in ``text`` the spans where ``pattern`` matches ``view`` (``view`` is ``text`` normalised one
    character for one, so the spans agree)."""
    out: list[str] = []
    last = 0
    for m in pattern.finditer(view):
        start, end = m.span(group)
        out.append(text[last:start])
        out.append(token)
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


_NUMBER_PASSES: tuple[tuple[re.Pattern[str], str, int], ...] = (
    (_ID_NUMBER, ID_TOKEN, 0), (_PHONE, PHONE_TOKEN, 0), (_LOCAL, PHONE_TOKEN, 1))


def _mask_numbers(text: str, normalise: Callable[[str], str]) -> str:
    """ID numbers first (the longest), then phone numbers, then cued local numbers; each pass on the text the
    previous one left (tokens hold no digits, so they cannot join numbers)."""
    view = normalise(text)
    for pattern, token, group in _NUMBER_PASSES:
        masked = _replace_spans(text, view, pattern, token, group)
        if masked is not text:
            text, view = masked, normalise(masked)
    return text


def _widths(text: str) -> str:
    return text.translate(_WIDTH) if _WIDE.search(text) else text


def _widths_and_numerals(text: str) -> str:
    return _widths(text).translate(_NUMERALS)


def scrub_text(text: str) -> str:
    """``text`` with phone numbers, ID-card numbers and self-introduced names masked (see the module's doc)."""
    if not text or not _HINT.search(text):
        return text
    if _SEVEN.search(text):  # every number masked has seven digits or more: short ones (3号楼, 14:30) skip this
        text = _mask_numbers(text, _widths)
    if _SPOKEN.search(text):  # numbers read out in Chinese numerals: a second pass,
        text = _mask_numbers(text, _widths_and_numerals)  # so that 李三13912345602 is not read as one long number
    if _ANY_CUE.search(text):
        text = _replace_spans(text, text, _NAME_STRONG, NAME_TOKEN, group=1)
        text = _replace_spans(text, text, _NAME_WEAK, NAME_TOKEN, group=1)
    return text


def scrub_optional(text: str | None) -> str | None:
    """``scrub_text`` for a value that may be missing (NULL stays NULL)."""
    return None if text is None else scrub_text(text)
