"""Answer types: what shape of phrase a question asks for, and where a sentence holds it.

A question word sets the expected shape ("누구" a person, "언제" a date, "얼마" an
amount, "몇 분" a duration, "어디" a place, "이름" a name); Kiwi's tags find the
shapes in a sentence (SN + unit, NNP next to a title noun, quoted names...).
Fusion uses whether a candidate holds the expected shape; the engine returns the
phrase as ``answer_start``/``answer_end`` inside the cited sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Callable, Iterable

from .analyze import Token, glued_nouns, tokens

PERSON, DATE, DURATION, AMOUNT, COUNT, PLACE, NAME = "person", "date", "duration", "amount", "count", "place", "name"
REASON = "reason"
# Read in sentences but never asked for on their own: a share ("3분의 2") answers a "how
# many" question; an article number ("제14조") answers "몇 조".
SHARE, ARTICLE = "share", "article"
# Factoid shapes answer with a phrase (highlighted); a reason answers with a clause, so
# only whether a sentence gives one ("때문에", "-으므로", "낮아서다") is used, for ranking.
FACTOID = (PERSON, DATE, DURATION, AMOUNT, COUNT, PLACE, NAME)
TYPES = FACTOID + (REASON,)

_MONEY = {"원", "달러", "엔", "유로", "위안", "파운드", "달러화", "엔화"}
_PERCENT = {"%", "퍼센트", "포인트", "％"}
_DATE_UNITS = {"년", "월", "일", "분기", "년대", "년도", "세기"}
_TIME_UNITS = {"분", "초", "시간", "개월", "주", "주일", "일", "년", "달", "시"}
_COUNTERS = {"명", "개", "곳", "개국", "개사", "위", "배", "인", "대", "건", "척", "세", "살", "차", "회", "번", "차례",
             "국", "종", "가지", "층", "편", "석", "표", "부", "부작"}
# Words that make a date phrase without a number, or extend one ("지난 3월", "내년 상반기").
_DATE_WORDS = {"내년", "올해", "지난해", "작년", "지난달", "이달", "다음달", "금년", "상반기", "하반기",
               "연말", "연초", "새벽", "오전", "오후", "말", "초", "중순", "하순", "초순", "분기", "당시",
               "최근", "지난주", "이번주", "다음주", "어제", "오늘", "그제", "내일", "초반", "중반", "후반", "전반"}
# Those that only extend a date ("1990년대 초반"), never one alone ("경기 초반")
_DATE_TAILS = ("말", "초", "분기", "당시", "초반", "중반", "후반", "전반")
_DATE_LEAD = {"지나", "오"}  # "지난 3월", "오는 26일"
_DAY_PARTS = {"오전", "오후", "새벽", "아침", "저녁", "밤", "낮"}  # between a day and its hour
# What turns a length of time into a point: counted from now ("3년 전", "2주 후", "1년 만에") or
# a deadline ("60일 이내에", "15일 안에"), which answers "언제까지".
_FROM_NOW = ("전", "후", "뒤", "만", "이내", "내", "안")
# Title nouns that follow a person's name ("박성현 리벨리온 대표").
_TITLES = {"대표", "회장", "교수", "기자", "총리", "대통령", "장관", "수석", "실장", "의원", "사장", "부회장",
           "위원장", "원장", "이사", "이사장", "창업자", "연구원", "소장", "센터장", "단장", "총장", "청장",
           "시장", "지사", "박사", "감독", "선수", "작가", "의장", "부의장", "최고경영자", "CEO", "대사", "판사",
           "검사", "변호사", "장", "씨", "전무", "상무", "본부장", "국장", "차관", "부장", "대변인", "관계자",
           "사무처장", "사무총장", "처장", "총재", "부총재", "행장", "팀장", "도지사", "군수", "구청장", "교육감",
           "부사장", "위원", "연구위원", "편집장", "병원장", "코치", "애널리스트"}
# Titles that are also common nouns after a place: "일본 시장" is a market and "일본 지사" a
# branch office, not a mayor or a governor; a person's name (three syllables) disambiguates.
_MARKET_OR_BRANCH = {"시장", "지사"}
# Countries and regions: they stand before a title as often as names do ("미국 대통령", "일본 총리"),
# and news makes them the subject of a clause ("일본은 … 투자했다").
_COUNTRIES = {"고려", "남한", "대만", "독일", "몽골", "미국", "백제", "북한", "신라", "영국", "유럽", "이란", "인도", "일본", "조선", "중국",
              "중동", "칠레", "태국", "터키", "한국", "호주", "홍콩", "러시아", "멕시코", "미얀마", "베트남", "브라질", "사우디", "스웨덴", "스위스",
              "스페인", "아시아", "이집트", "카타르", "캐나다", "폴란드", "프랑스", "필리핀", "네덜란드", "뉴질랜드", "대한민국", "싱가포르", "아프리카",
              "이스라엘", "이탈리아", "튀르키예", "말레이시아", "아르헨티나", "우크라이나", "인도네시아",
              # Korea's provinces and metropolitan cities ("전북 도지사", "부산 시장"; not 세종, a king too)
              "서울", "부산", "대구", "인천", "광주", "대전", "울산", "경기", "강원", "충북", "충남", "전북",
              "전남", "경북", "경남", "제주"}
# The commonest Korean surnames (one syllable), the last syllables of institutions and
# places that would otherwise read as names, and the nouns that stand right before a name.
_SURNAMES = set("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁")
_INSTITUTION_END = set("대청부처관단회소국시도군구동읍면역항교산강천호섬당사점과원트")
_BEFORE_NAME = {"소설가", "작가", "시인", "화가", "가수", "배우", "감독", "장군", "왕", "왕비", "황제", "국왕", "아들",
                "딸", "맏아들", "아버지", "어머니", "아내", "남편", "형", "동생", "선수", "학자", "교수", "박사", "기자",
                "목사", "스님", "신부", "의사", "변호사", "후보", "씨",
                # sports positions: "외국인 타자 로페스의", "불펜 투수 문태오가"
                "타자", "투수", "포수", "내야수", "외야수", "대타", "공격수", "수비수", "미드필더", "골키퍼", "코치"}
# The units of a statute's parts ("제14조", "제2항", "칙령 제41호"), which answer "몇 조", "몇 호"
_ARTICLE_UNITS = frozenset({"조", "항", "호"})
# Titles a name may follow ("대통령 해리 트루먼"): two syllables or more, and no market or branch
_TITLED_BEFORE = frozenset(t for t in _TITLES | {"사령관", "국무장관", "장군", "총독", "제독"}
                           if len(t) >= 2 and t not in _MARKET_OR_BRANCH | {"관계자"})
# Nouns whose complement is a name: "이름은 이도이며", "시호는 충무공이다".
_NAMING = {"이름", "본명", "명칭", "시호", "아호", "호", "별명", "애칭", "법명", "약칭", "국호", "상호"}
# Office holders that answer "누가 …하나?" in law and policy texts.
_ROLES = {"대통령", "국무총리", "국회", "정부", "국회의장", "대법원장", "대법원", "법원", "헌법재판소",
          "국무위원", "감사원", "국가", "법관", "국민", "위원장", "의장", "중앙선거관리위원회", "선거관리위원회",
          "국회의원", "재판관", "감사원장", "행정각부", "지방자치단체"}
# A one-syllable suffix makes a place only after a name of two or more ("서울시", "경기도",
# "부산항"): "요구", "속도", "육성" and "정도" are common nouns.
_PLACE_SUFFIX = re.compile(r"(..(시|도|군|구|국|주|섬|항|역|현|성)|.*(해역|지역|학교|대학|대학교|반도|도시|공항|기슭))$")
# The tags of the glued parts of a name Kiwi reads as common nouns, and the words that end an
# institution's name ("일본무역진흥기구", "금융위원회", "산업통상자원부")
_NOUN_PARTS = frozenset({"NNG", "NNP", "SL"})
_ORGANISATION_END = re.compile(r"(기구|협회|재단|연구소|연구원|개발원|진흥원|위원회|공단|공사|은행|증권|그룹|정책실|안보실|"
                               r"비서실|협의회|연합회|조합|학회|병원|대학교|본부|[부처청])$")
# Measures: "1,947m", "약 437km", "20~50km", "900hPa", "500만 m²", "초속 17m"
_MEASURES = {"m", "km", "cm", "mm", "㎞", "㎝", "㎜", "m²", "㎡", "km²", "㎢", "kg", "g", "t", "hPa", "℃", "ha",
             "미터", "킬로미터", "센티미터", "밀리미터", "킬로그램", "그램", "톤", "헥토파스칼", "평", "헥타르", "마일",
             "kWh", "MWh", "GWh", "TWh", "kW", "MW", "GW"}
_UNITS = _MONEY | _PERCENT | _DATE_UNITS | _TIME_UNITS | _COUNTERS | _MEASURES
_CAUSE_NOUNS = {"때문", "덕분", "탓", "까닭", "덕"}
_ERAS = {"시대", "초기", "중기", "후기", "말기", "왕조", "때"}
_NAMED_CAUSES = {"원인", "이유", "요인"}
# what is done with a cause named as one: "원인으로 꼽는다", "이유로 들었다", "요인으로 분석된다" (not
# "열거되지 아니한 이유로 경시되지 아니한다", where 이유로 is a ground, not an answer)
_NAMING_A_CAUSE = {"꼽", "꼽히", "들", "지목", "분석", "보", "추정", "판단", "설명", "풀이", "제시", "지적", "거론"}
_CAUSE_ENDINGS = {"으므로", "므로", "으니까", "니까", "으니", "기에", "어서", "아서", "느라", "어서다", "아서다", "느라고"}
_QUOTE_OPEN = "‘“'\"「『《〈<"
_QUOTE_CLOSE = "’”'\"」』》〉>"
# A bracket that only glosses a term in Latin letters: "인공지능(AI)", "고대역폭 메모리(HBM)".
_LATIN_GLOSS = re.compile(r"[A-Za-z0-9 .,&'\-]+\)")


@dataclass(frozen=True)
class Span:
    kind: str
    start: int  # offsets into the analysed text
    end: int


# Money as the kind of answer; 매출, 예산 and 투자액 are money too, but name what is asked about.
_MONEY_KIND = ("금액", "액수", "자금", "비용", "가격", "돈")
# An amount that is a size or a sum ("시장 규모", "투자 금액", "매출"), unless a rate is asked of it;
# a sum of money is answered only in a currency
_MONEY_NOUNS = "|".join(_MONEY_KIND + ("매출", "예산", "투자액"))
# "얼마가 될 거라고 봤어?", "얼마에 달해?": the value something reaches, not its growth rate
_SIZE_WORD = re.compile(r"규모|얼마가\s*(될|되|돼)|얼마에\s*(달|이르)|" + _MONEY_NOUNS)
_MONEY_WORD = re.compile(_MONEY_NOUNS + r"|보조금|투자비|사업비|투자금|이익|순익|손실|적자|흑자|자본금|시가총액|연봉|임금|"
                         r"급여|상금|벌금|세금|세액|매출액|수익(?![률율])|가치|요금|수수료|등록금|임대료|보증금|월세|전세금|"
                         # fees and costs ("이적료", "입장료", "공사비", "인건비")
                         r"이적료|입장료|사용료|이용료|수업료|수강료|보험료|관리료|통행료|연체료|참가료|중개료|구독료|출연료|"
                         r"위약금|계약금|공사비|제작비|인건비|운영비|관리비|생활비|교육비|진료비|치료비|숙박비|교통비|학비|"
                         # a sum named by 액 ("피해액", "거래액", "총액"), not a liquid ("혈액", "용액", "수액")
                         r"(?<=[가-힣])(?<![혈용원수체점즙정축비양독척석폐])액(?![가-힣])|"
                         r"(?<=[가-힣])(?<![혈용원수체점즙정축비양독척석폐])액(?=[은는이가을를도의](?![가-힣]))|"
                         # a price ("약값", "집값"), not a value measured ("평균값", "측정값")
                         r"(?<!평균|측정|기댓|최댓|최솟|결괏|함숫|절댓|중앙|목푯|근삿|설정|입력|출력|결과|기본)(?<=[가-힣])값")


# ----------------------------------------------------------------- questions
# Rates: "성장률", "비중". A question that ends on one ("일본 비중은?") asks for an amount.
_RATE_NOUN = (r"((수익|성장|점유|증가|감소|상승|하락|인상|인하|할인|이자|지분|가동|참여|달성|투표|득표|실업|취업|합격|경쟁|세)"
              r"[률율]|비율|비중|금리)")
# "몇 프로야?": 프로, spoken for a percentage, not the start of "프로그램" or "프로젝트"
_PRO = r"(프로(?!그램|젝트|세스|야구|선수|필|듀서|토콜|모션|포즈)|퍼(?![가-힣]))"
# Titles of two syllables or more as a regex alternation, longest first ("부회장" before "회장");
# "관계자" (an official) is no title one asks the holder of
_TITLE_WORDS = "|".join(sorted((t for t in _TITLES if len(t) >= 2 and t != "관계자"), key=len, reverse=True))
_Q_RULES: tuple[tuple[str, re.Pattern], ...] = (
    (DURATION, re.compile(r"얼마\s*(동안|나|간)?\s*(동안|걸|진행|지속|지나|지났)|몇\s*(분|시간|초|개월|달(?!러)|주|년)(?!\s*(도|에|부터|까지))|"
                          r"며칠\s*(동안|간|이내|안에|을|를|이|가|넘|늦|째)|몇\s*(분|시간)\b|기간은|"
                          # "회담 시간은 얼마나 됐어?", "얼마나 오래 걸려?", "얼마 만에 …?"
                          r"(시간|기간|세월)(은|는|이|가)?\s*얼마|얼마나\s*오래|얼마\s*만에|"
                          # "감사원장 임기는?": a term of office; "회담 시간은?": how long it took
                          r"(임기|시간)(은|는|이|가)?\s*\??\s*$|"
                          r"\bhow long\b", re.I)),
    # "리벨리온 대표 이름 알려줘": a title's name is a person's
    (PERSON, re.compile(r"누구|누가|누군|누굴|\bwho(m|se)?\b|이름이 뭐|대표는\?|회장은\?|"
                        # "우승한 선수 알려줘", "당선자는?": the person the noun names
                        r"(선수|우승자|수상자|당선자|당선인|주인공|범인|용의자|피의자)(은|는|이|가)?\s*\??\s*$|(?<![가-힣])("
                        + _TITLE_WORDS + r")(의)?\s*(이름|성함|성명)", re.I)),
    # "몇 시에 났어?": a time of day, not a count
    # "소비기한 알려줘", "출시일은?": a day named by its noun
    (DATE, re.compile(r"(기한|일자|(시행|출시|개통|발표|선고|마감|투표|개막|개최|폐막|발매|개봉)일)(은|는|이|가)?\s*\??\s*$|언제|몇\s*(년도|월|일)|며칠|몇\s*년\s*(에|부터|까지)|몇\s*시(?!간|즌|리즈|장|설|행|험|청|민|점|대)|시기|날짜|"
                      r"\bwhen\b|\bwhat (year|date|month|time)\b", re.I)),
    # "구매 규모가 어느 정도야?", "세제 혜택은 어느 정도야?": a degree asked at the question's end
    (AMOUNT, re.compile(r"얼마|금액|액수|규모\s*(전망|예상|추정|예측|목표)?(는|은|가|이)|어느\s*정도\s*(규모|야|인가요?|인지|예요|이에요|이야|일까|입니까|냐|돼|되나|될까)?"
                        r"\s*\??\s*$|어느\s*정도\s*규모|" + _RATE_NOUN + r"(은|는|이|가)?\s*\??\s*$|[가-힣]액(은|이|는)?\s*\??\s*$|(" + _MONEY_WORD.pattern + r")(은|는|이|가)?\s*\??\s*$|비용은|가격|\bhow much\b|\bhow big\b|몇\s*(%|퍼센트|" + _PRO + ")", re.I)),
    # a rank ("순위는?"), but not a priority ("우선순위")
    # a quantity named by 량 ("판매량은?", "강수량"), not a skill ("역량", "기량")
    (COUNT, re.compile(r"몇\s*[가-힣]{0,2}|(?<![가-힣])[가-힣]{2}량(은|는|이)?\s*\??\s*$|\bhow many\b|\bwhat rank\b|\bwhere does .* rank\b|(?<!우선)순위", re.I)),
    (PLACE, re.compile(r"어디|어느\s*(나라|도시|지역|곳|국가)|\bwhere\b", re.I)),
    (NAME, re.compile(r"이름|명칭|시호|본명|별명|애칭|국호|(기업|회사|업체|프로젝트|펀드)(은|는|이|가)?\s*\??\s*$|어느\s*(기업|회사|업체|곳|팀|단체|기관)|어떤\s*(기업|회사|업체)(?!\s*(으로|로|야|이야|인가|예요|이에요|입니까|일까|인지))|"
                      r"\bwhich (company|firm|project)\b|\bwhat is the name\b", re.I)),
)


# A thing's name, not a person's: "합작 프로젝트 이름이 뭐야?"
_THING_NAME = re.compile(r"(프로젝트|회사|기업|업체|펀드|법|법안|제품|서비스|솔루션|모델|프로그램|브랜드|단체|기관|팀|"
                         r"협의회|행사|영화|드라마|책|작품|앨범|노래|도시|나라|지역|정책|전략)(의)?\s*(이름|명칭)")


# "규모는 미국과 비교해 어떤가?" asks how, not how much: a how/why question asks for a
# description unless it also has an explicit question word for a shape.
_HOW_WHY = re.compile(r"어떤가|어때|어떠|어떻게|왜|어째서|어쩌다|\bhow (is|are|does|do|did)\b|\bwhy\b", re.I)
_SHAPE_WORD = re.compile(r"얼마|몇|언제|누구|누가|누군|어디|며칠|\bhow (much|many|long)\b|\bwho\b|\bwhen\b|\bwhere\b",
                         re.I)
# "무엇 때문에 …?", "뭐 덕분이었나?", "어쩌다 빠져나간 거야?": a cause asked without 왜
_REASON_WORD = re.compile(r"왜|어째서|어쩌다|이유|까닭|원인|(무엇|뭐|무슨\s*일)\s*(때문|덕분|탓)|\bwhy\b", re.I)
# "실패 원인은 의지 부족인가?" proposes its answer and asks for a verdict, not for a cause:
# a copula question without a question word.
_YES_NO = re.compile(r"(인가|인가요|입니까|일까|인지|이야)\s*\??\s*$")
_WH_WORD = re.compile(r"왜|무엇|뭐|무슨|어떤|어떻|어느|누구|누가|어디|언제|얼마|몇|며칠")


# "하정우 수석은 누구야?", "박성현은 누구인가?": who a named person is. The answer describes
# them; it is not another person's name.
_IDENTITY = re.compile(r"^(?P<who>.+?)\s*(은|는|이|가|란)\s*누구(야|지|인가요?|입니까|예요|에요|이야|일까|인지)?\s*[?？]*\s*$")


# "비전펀드 규모가 어떻게 되나요?", "임기는 어떻게 돼?": the value of the noun, as "규모는?" asks it;
# not "승인을 못 받으면 어떻게 돼?" (what happens), where no particle of a subject stands before 어떻게
_VALUE_OF = re.compile(r"(?<=[가-힣A-Za-z0-9])(은|는|이|가)\s*어떻게\s*(되|돼|됩|됐|되었)[가-힣]*\s*[?？.]*\s*$")
# A query typed as keywords, nouns only ("일본 정부 AI 반도체 지원 규모", "리벨리온 대표")
_KEYWORD_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "XSN", "XPN", "SP", "SO", "SF"})


# A request instead of a question: "리벨리온 대표를 (좀) 알려줘", "설립 시기가 궁금해요"
_REQUEST = re.compile(r"((알려|말해|가르쳐)\s*(줘|줘요|주세요|줄래|줄래요|주라|주십시오|봐)|궁금(해|해요|합니다|하다))"
                      r"\s*[?？.!~]*\s*$")


def value_asked(question: str) -> str:
    """"<noun>이 어떻게 되나요?" as the elliptic "<noun>이?" it means ("규모가 어떻게 되나요?" ->
    "규모가?"; after another question, "그럼 한국은 어떻게 돼?" -> "그럼 한국은?"); any other
    question as it is."""
    m = _VALUE_OF.search(question)
    return question[:m.end(1)] + "?" if m else question


def _as_asked(question: str) -> str:
    """``question`` with its value asked as an elliptic "<noun>은?" (``value_asked``), and a query
    of nouns only, asked or requested, "리벨리온 대표 알려줘" -> "리벨리온 대표는?"."""
    asked = value_asked(question)
    if asked != question:
        return asked
    m = _REQUEST.search(question)
    toks = tokens(question[:m.start()] if m else question)
    if m:
        # the request's object or subject: "대표를 좀", "시기가"
        while toks and (toks[-1].tag in ("JKO", "JKS") or toks[-1].form == "좀"):
            toks = toks[:-1]
        question = question[:toks[-1].end] if toks else question
    if toks and toks[-1].tag in ("NNG", "NNP", "SL") and all(t.tag in _KEYWORD_TAGS for t in toks):
        last = question[:toks[-1].end]
        batchim = "가" <= last[-1] <= "힣" and (ord(last[-1]) - 0xAC00) % 28 != 0
        return last + ("은" if batchim else "는") + "?"
    return question


@lru_cache(maxsize=4096)
def question_type(question: str) -> str | None:
    """The answer shape a question asks for, or None (how/what questions)."""
    question = _as_asked(question)
    verdict = bool(_YES_NO.search(question)) and not _WH_WORD.search(question)
    reason = REASON if _REASON_WORD.search(question) and not verdict else None
    if _HOW_WHY.search(question) and not _SHAPE_WORD.search(question):
        return reason
    for kind, pattern in _Q_RULES:
        if pattern.search(question):
            if kind == PERSON and _THING_NAME.search(question):
                return NAME  # "프로젝트 이름이 뭐야?" asks for a thing's name
            return None if kind == PERSON and _asks_who_someone_is(question) else kind
    return COUNT if _asks_a_number_of(question) or _MEASURE_END.search(question) else reason


def _asks_a_number_of(question: str) -> bool:
    """The question ends on "<noun> 수" ("참여한 환자 수는?", "관객수가?"): a count, though no 몇 asks it
    (Kiwi tags the counting noun 수 NNG, and the 수 of "할 수는" NNB)."""
    toks = [t for t in tokens(question) if t.tag not in ("SF", "SP", "SE", "SS", "SSC", "SSO")]
    while toks and toks[-1].tag in ("JX", "JKS"):
        toks.pop()
    return len(toks) >= 2 and toks[-1].form == "수" and toks[-1].tag == "NNG" and toks[-2].tag in ("NNG", "NNP")


# "업스테이지 대표는 누구야?": who holds a title, asked at the question's end
_TITLE_HOLDER = re.compile("(" + _TITLE_WORDS + r")(은|는|이|가)\s*(누구|누가|누군가요?)\s*"
                           # now or then: "누구야?", "누구였어?", "누구였나요?"
                           r"(야|인가요?|일까|예요|에요|이에요|입니까|지|니|냐|임|죠|"
                           r"(였|이었)(어요?|나요?|지|니|냐|음|습니까|을까|던가요?)?)?\s*[?？]*\s*$")


def asks_for_a_title_holder(question: str) -> bool:
    """The question asks who holds a title ("리벨리온 대표는 누구야?"), not what a titled person did."""
    return question_type(question) == PERSON and bool(_TITLE_HOLDER.search(question.strip()))


def _asks_who_someone_is(question: str) -> bool:
    """The subject of "… 누구야?" is a named person: alone, with the rest of the name ("도널드
    트럼프") or with a title ("박성현 리벨리온 대표")."""
    question = question.strip()
    m = _IDENTITY.match(question)
    if not m:
        return False
    for s in sentence_spans(question):
        if s.kind != PERSON or s.end > m.end("who") or question[s.start:s.end] in _ROLES:
            continue
        rest = [t for t in tokens(question) if s.end <= t.start and t.end <= m.end("who")]
        if all(t.tag in ("NNG", "NNP", "SL") for t in rest) and (
                not rest or rest[-1].form in _TITLES or all(t.tag == "NNP" for t in rest)):
            return True
    return False


# Nouns that name the kind of answer, not a thing asked about: the answer stands in their
# place ("참석한 사람은 누구야?" is answered by a name, "겪은 시기는 언제야?" by a date, "확보한
# 자금은 얼마야?" by a sum that a sentence may call 금액 or give with no noun at all).
_ANSWER_NOUNS = {"사람", "인물", "인사", "관계자", "나라", "국가", "기업", "회사", "업체", "곳", "장소", "지역", "도시", "기관", "단체",
                 "시기", "시점", "때", "날", "날짜", "연도", "해", "기간", "이름", "명칭", "이유", "까닭", "원인", "나이", "순위",
                 "규모", "정도", "비율", "숫자", "수", "일", "것", "점", "내용", "방법", "결과", "분야",
                 "역할", "목적", "의미", "뜻", "조건", "요건", "본질", "핵심", "요지", "요점", "골자", "정체", "실체", "특징",
                 "특성", "차이", "차이점", "공통점", "배경",
                 # a measure: "아라온호의 크기는 몇 톤인가?" is answered by "총톤수 7,487톤의 …"
                 "크기", "무게", "길이", "높이", "넓이", "깊이", "거리", *_MONEY_KIND}
# Question words as Kiwi gives them (followup.py rewrites around them too); a question's focus
# stands before one that asks for a thing, not before "왜" or "어떻게".
QUESTION_WORDS = frozenset({"누구", "누가", "언제", "어디", "얼마", "얼마나", "무엇", "뭐", "왜", "어떻게", "어떤", "어느",
                            "몇", "며칠", "무슨"})
_FOCUS_QWORDS = QUESTION_WORDS - {"왜", "어떻게"}


@lru_cache(maxsize=4096)
def question_focus(question: str) -> str | None:
    """What a question asks about: the common noun (or Latin word, "CEO") marked as its topic
    or subject nearest before the question word ("UAE 파견 부대의 예산은 얼마야?" -> "예산",
    "업스테이지 대표는 누구인가?" -> "대표"). A noun that only names the kind of answer ("사람은
    누구야?") is none, but the noun before it is ("설립 시기는 언제야?" -> "설립"), and a noun keeps
    its suffix ("합격률"). A best sentence that never names the focus (nor does its article's
    title) tends to be about the question's neighbourhood, not its fact: the verdict's
    ``focus_missing``."""
    toks = [t for t in tokens(question) if t.tag not in ("SF", "SP")]
    q = next((i for i, t in enumerate(toks) if t.form in _FOCUS_QWORDS), None)
    if q is None:
        return _typed_sum(toks)
    for i in range(q - 1, 0, -1):
        if toks[i].tag in ("JX", "JKS") and toks[i].form in ("은", "는", "이", "가"):
            j = i - 1
            noun = toks[j].form
            if toks[j].tag == "XSN" and j >= 1 and toks[j - 1].tag == "NNG" and toks[j - 1].end == toks[j].start:
                j -= 1  # "합격률", "투표율": the noun with its suffix
                noun = toks[j].form + noun
            elif toks[j].tag not in ("NNG", "SL"):
                return None
            if noun not in _ANSWER_NOUNS:
                return noun
            # "설립 시기는 언제야?", "투자 금액은 얼마야?": the noun before the answer's kind
            before = toks[j - 1] if j >= 1 else None
            return before.form if before and before.tag == "NNG" and before.form not in _ANSWER_NOUNS else None
    # a sum typed without its particle: "특별전 예산 얼마임?", "이적료 얼마야?", "기본요금 지금 얼마야?",
    # "이적료 총 얼마야?" (an adverb or 총 between)
    b = q - 1
    while b >= 1 and (toks[b].tag == "MAG" or (toks[b].tag == "MM" and toks[b].form == "총")):
        b -= 1
    before = toks[b] if b >= 0 else None
    if before is not None and before.tag == "NNG" and toks[q].form in ("얼마", "얼마나") and _MONEY_WORD.search(before.form):
        if before.form not in _ANSWER_NOUNS:
            return before.form
        # "위성 만드는 데 돈 얼마나 들었어?": 돈 only names the kind of answer, as with a particle
        ahead = toks[b - 1] if b >= 1 else None
        return ahead.form if ahead and ahead.tag == "NNG" and ahead.form not in _ANSWER_NOUNS else None
    return None


def _names_a_cause(toks: tuple[Token, ...] | list[Token], i: int) -> bool:
    """``toks[i]`` names a cause as one: "원인은 …이다", "원인으로 꼽는다", "이유로 들었다"."""
    if toks[i].form not in _NAMED_CAUSES or toks[i].tag != "NNG" or i + 1 >= len(toks):
        return False
    after = toks[i + 1].form
    return after in ("은", "는") or (after in ("으로", "로") and i + 2 < len(toks) and toks[i + 2].form in _NAMING_A_CAUSE)


def _typed_sum(toks: list[Token]) -> str | None:
    """The sum a question without a question word ends on, when the text names sums so ("한빛스페이스
    투자금 총액", "셀트리온의 바이오시밀러 매출은?"): a money noun the text must name to answer it.
    Money as a kind ("모은 돈", "금액") and sums of an act ("투자액", "조달액": the text says "국내
    투자는 …", "조달한 금액은 …") are none."""
    while toks and toks[-1].tag.startswith("J"):
        toks = toks[:-1]
    if len(toks) >= 2 and toks[-1].form in ("총액", "규모", "액수") and toks[-1].tag == "NNG":
        toks = toks[:-1]
    if not toks or toks[-1].tag != "NNG":
        return None
    noun = toks[-1].form
    return noun if _MONEY_WORD.fullmatch(noun) and noun not in _MONEY_KIND and not noun.endswith("액") else None


@lru_cache(maxsize=4096)
def proper_names(question: str) -> frozenset[str]:
    """The question's proper nouns and Latin words of two characters or more, lower-cased
    ("올거나이즈", "jetro"). An answer's article names them: a best sentence from an article that
    never mentions them is likely a neighbour's (the verdict's ``name_missing``)."""
    return frozenset(t.form.lower() for t in tokens(question) if t.tag in ("NNP", "SL") and len(t.form) >= 2)


# Korean numerals written in letters: Sino-Korean ("십", "백"; Kiwi tags them NR) and the
# native determiners before a counter ("두 달", "세 차례", "한 시간").
_NATIVE = {"한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "스무"}
# "About" as a suffix between a number and its unit (Kiwi's XSN): "100여 명", "십여 년". Kiwi
# reads "가량" and "남짓" as nouns after the unit ("30분가량", "2시간 남짓"), so they never stand here.
_ABOUT = {"여", "쯤"}


def _is_number(t: Token) -> bool:
    return t.tag in ("SN", "NR") or (t.tag == "MM" and t.form in _NATIVE)


# ------------------------------------------------------------------ sentences
def _number_groups(toks: tuple[Token, ...]) -> list[tuple[int, int, str, str]]:
    """(first token, last token, unit, unit tag) of each number + unit group ("1조 7,200억 엔")."""
    out = []
    i, n = 0, len(toks)
    while i < n:
        if not _is_number(toks[i]) or (i and toks[i - 1].form == "제"):  # "제70조" is an article number
            i += 1
            continue
        j = i
        while j + 1 < n and (toks[j + 1].tag in ("SN", "NR") or (toks[j + 1].form in (",", ".", "~") and
                                                                    j + 2 < n and toks[j + 2].tag == "SN")
                             or (_is_number(toks[j + 1]) and toks[j + 1].start == toks[j].end)):  # "열" + "두"
            j += 1
        if j + 2 < n and toks[j + 1].tag == "XSN" and toks[j + 1].form in _ABOUT:
            j += 1  # "10여 년", "십여 년", "100여 명": about ten years
        unit, utag = "", ""
        if j + 1 < n and (toks[j + 1].tag == "NNB" or toks[j + 1].form in _UNITS or toks[j + 1].form.startswith("%")):
            # "1.25%포인트에서": Kiwi may read "%포인트" as one noun
            unit, utag = ("%" if toks[j + 1].form.startswith("%") else toks[j + 1].form), toks[j + 1].tag
            j += 1
            if unit == "부" and j + 1 < n and toks[j + 1].form == "작" and toks[j + 1].start == toks[j].end:
                unit, j = "부작", j + 1  # "24부작": Kiwi reads 부 + 작
        out.append((i, j, unit, utag))
        i = j + 1
    return out


# What follows "N일" when it counts days ("3일간", "20일을 경과", "15일 이내") rather
# than names one ("지난 23일", "25일 업계에 따르면"); "12일 넘겨" is twelve days over.
_DAY_COUNT_AFTER = {"간", "동안", "이내", "내", "만", "째", "후", "뒤", "을", "를", "이", "가", "넘", "넘기"}


def _time_point(toks: tuple[Token, ...], i: int, j: int, k: int, led: bool) -> bool:
    """Whether the number group toks[i..j] (a date chain up to k) names a point in time,
    not a length of time: "지난 23일", "2025년", "8월 23일", "3시" are points; "113분간",
    "5년", "3일간", "20일을 경과" are durations."""
    unit = toks[j].form
    after = toks[k + 1].form if k + 1 < len(toks) else ""
    if unit == "시" or (unit in ("분", "초") and i >= 2 and toks[i - 1].form == "시" and toks[i - 2].tag == "SN"):
        return True  # "4시", and the minutes of "4시 17분"
    if unit == "일":
        return after not in _DAY_COUNT_AFTER or led or k > j or (i >= 1 and toks[i - 1].form == "월")
    if unit == "년":
        return after not in ("간", "동안", "만", "째") and (led or k > j or len(toks[i].form) == 4)
    return False


# Syllables common in Korean given names. A name whose given part uses others ("도널드",
# "이시바", "마이클") is foreign even when its first syllable is a Korean surname.
_GIVEN = set("가각간갑강개거건걸겸경계고곤골공관광교구국군권규균근금기길나남녀년노누늬다단달담대덕도돈동두득"
             "라란람래량려련렬령례로록롱뢰룡루류륜률륭름리린림립마만말매명모목몽무문미민박반방배백범법벽변별"
             "병보복본봉부분비빈사산삼상새서석선설섭성세소속손솔송수숙순술숭슬승시식신실심아악안애야약양어억언"
             "엄여연열염엽영예오옥온완왕요욱운웅원월위유육윤율융은을음응의이익인일임입자작장재적전절정제조종주준"
             "중지직진찬창채천철청초총추춘충치칠탁태택판평표풍필하학한함항해행향허헌혁현협형혜호홍화환황효후훈휘"
             "흔흠흥희")


def _foreign_name(form: str) -> bool:
    """A name word that cannot be a one-word Korean name (surname + given name)."""
    return not (form[0] in _SURNAMES and all(c in _GIVEN for c in form[1:]))


# Proper nouns that follow a company's name before a title as its market or its office
# ("네이버 일본 대표", "애플 코리아 대표", "리벨리온 도쿄 지사장"), never as a second name word.
_MARKETS = _COUNTRIES | {"코리아", "재팬", "차이나", "아메리카", "글로벌", "아태", "동남아", "북미", "남미", "중남미",
                         "미주", "도쿄", "오사카", "교토", "후쿠오카", "나고야", "요코하마", "서울", "부산", "베이징",
                         "상하이", "선전", "뉴욕", "워싱턴", "실리콘밸리", "런던", "파리", "베를린"}
# "former" and "current" between a name and its title: "아베 신조 전 총리"
_TENURE = {"전", "현"}


def _tenure(t: Token) -> bool:
    return t.form in _TENURE and t.tag in ("MM", "NNG")


# Syllables of Japanese names written in Hangul (the kana readings, with ㄴ for ん and ㅅ
# for っ): "기시다 후미오" is Japanese although "기시다" could be a Korean name.
_KANA_SYLLABLE = re.compile("[" + "".join(
    chr(0xAC00 + (onset * 21 + vowel) * 28 + coda)
    for onset in (0, 2, 3, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 18)  # ㄱㄴㄷㄹㅁㅂㅅㅆㅇㅈㅊㅋㅌㅍㅎ
    for vowel in (0, 2, 5, 8, 12, 13, 17, 18, 20)  # ㅏ ㅑ ㅔ ㅗ ㅛ ㅜ ㅠ ㅡ ㅣ
    for coda in (0, 4, 19)  # none, ㄴ, ㅅ
    if vowel != 18 or onset in (9, 10, 12, 14)  # ㅡ only in 스, 쓰, 즈, 츠
) + "]+")


def _japanese_name(first: str, second: str) -> bool:
    return bool(_KANA_SYLLABLE.fullmatch(first) and _KANA_SYLLABLE.fullmatch(second)) and len(second) >= 2


def _name_words_end(toks: tuple[Token, ...], i: int) -> int:
    """The last of up to two more proper nouns of two to five syllables, each one space after the
    one before, that go on the name opening at toks[i] ("해리" + "트루먼", "아델리나" + "소트니코바");
    ``i`` when none does."""
    k = i
    while k + 1 < len(toks) and k - i < 2 and toks[k + 1].tag == "NNP" and toks[k].end + 1 == toks[k + 1].start \
            and re.fullmatch(r"[가-힣]{2,5}", toks[k + 1].form):
        k += 1
    return k


def _given_name_end(toks: tuple[Token, ...], i: int, k: int) -> int:
    """Where the name opening at toks[i], before the title toks[k], ends. A Western or
    Japanese name comes in two words, with the organisation or the country between it
    and the title: "도널드 트럼프 미국 대통령", "이시바 시게루 일본 총리", "젠슨 황 엔비디아 CEO",
    "아베 신조 전 총리". A Korean name is one word, so the word after it is the organisation
    ("박성현 리벨리온 대표"). The second word is part of the name when the first cannot be a
    Korean name, the second is no market or office ("네이버 일본 대표"), and it stands right
    before the title or before one more proper noun or "전"/"현"."""
    nxt = toks[i + 1]
    if (_foreign_name(toks[i].form) or _japanese_name(toks[i].form, nxt.form)) \
            and nxt.tag == "NNP" and nxt.start > toks[i].end and nxt.form not in _MARKETS \
            and (k == i + 2 or (k == i + 3 and toks[i + 2].start > nxt.end
                                and (toks[i + 2].tag in ("NNP", "SL") or _tenure(toks[i + 2])))):
        return nxt.end
    return toks[i].end


@lru_cache(maxsize=20000)  # the same sentences come back for many questions
def _glued_start(toks: tuple[Token, ...], i: int, tags: tuple[str, ...]) -> int:
    """The first token of the run of ``tags`` written together (no space) that ends at ``toks[i]``."""
    while i and toks[i - 1].tag in tags and toks[i - 1].end == toks[i].start:
        i -= 1
    return i


@lru_cache(maxsize=8192)
def sentence_spans(text: str) -> tuple[Span, ...]:
    """Every answer-shaped phrase of a sentence, as offsets into ``text``; cached, since they do not
    depend on the question and the same sentences come back as candidates of many questions."""
    toks = tokens(text)
    spans: list[Span] = []
    n = len(toks)
    for i, j, unit, _ in _number_groups(toks):
        start, end = toks[i].start, toks[j].end
        if unit == "분" and j + 2 < n and toks[j + 1].form == "의" and toks[j + 2].tag == "SN":
            # "재적의원 3분의 2": a share, not three minutes
            spans.append(Span(SHARE, start, toks[j + 2].end))
            continue
        if unit in _MONEY or unit in _PERCENT:
            # "10조 엔(약 93조원)": the bracketed conversion belongs to the amount
            if j + 1 < n and toks[j + 1].form == "(":
                k = j + 1
                while k < n and toks[k].form != ")" and k - j < 8:
                    k += 1
                if k < n and toks[k].form == ")":
                    end = toks[k].end
            spans.append(Span(AMOUNT, start, end))
        if unit in _DATE_UNITS or unit in _TIME_UNITS:
            k = j
            # "2011년 1월 1일", "18일 오전 4시 17분": one date
            while True:
                if k + 2 < n and toks[k + 1].tag == "SN" and toks[k + 2].form in _DATE_UNITS | _TIME_UNITS:
                    k += 2
                elif unit in _DATE_UNITS and k + 3 < n and toks[k + 1].form in _DAY_PARTS and toks[k + 2].tag == "SN" \
                        and toks[k + 3].form == "시":
                    k += 3
                else:
                    break
            s0 = start
            if i >= 2 and toks[i - 1].tag == "ETM" and toks[i - 2].form in _DATE_LEAD:
                s0 = toks[i - 2].start
            elif i >= 1 and toks[i - 1].form in _DATE_WORDS:
                s0 = toks[i - 1].start
            e0 = toks[k].end
            if k + 1 < n and toks[k + 1].form in _DATE_WORDS:
                e0 = toks[k + 1].end
            if unit in _DATE_UNITS or unit == "시":  # "오전 4시 17분께": a time of day
                spans.append(Span(DATE, s0, e0))
            if unit in _TIME_UNITS and not _time_point(toks, i, j, k, s0 != start):
                e1 = toks[k + 1].end if k + 1 < n and toks[k + 1].form in ("간", "동안") else toks[k].end
                spans.append(Span(DURATION, start, e1))
                if k + 1 < n and toks[k + 1].form in _FROM_NOW and toks[k + 1].tag.startswith("NN"):
                    spans.append(Span(DATE, start, toks[k + 1].end))  # "십여 년 전부터", "60일 이내에"
        if unit in _COUNTERS or (unit and unit not in _MONEY | _PERCENT | _DATE_UNITS | _TIME_UNITS):
            spans.append(Span(COUNT, start, toks[j].end))
        if unit in _PERCENT:
            spans.append(Span(COUNT, start, toks[j].end))
    for i in range(n - 2):
        if toks[i].form == "제" and toks[i + 1].tag == "SN" and toks[i + 2].form in _ARTICLE_UNITS:
            # "제14조": an article of a statute (no count: _number_groups skips it), for "몇 조야?"
            spans.append(Span(ARTICLE, toks[i].start, toks[i + 2].end))
    for i, t in enumerate(toks):
        # a name Kiwi breaks into a surname and a noun ("선장 박정훈(54)씨가" read 박 + 정훈), with
        # the age news gives in brackets: three syllables written together, opening with a surname
        if t.form == "(" and 1 <= i < n - 2 and toks[i - 1].tag == "NNG" and toks[i - 1].end == t.start \
                and toks[i + 1].tag == "SN" and len(toks[i + 1].form) <= 3 and toks[i + 2].form in (")", "·"):
            k = _glued_start(toks, i - 1, ("NNP", "NNG"))
            name = text[toks[k].start:toks[i - 1].end]
            if re.fullmatch(r"[가-힣]{3}", name) and name[0] in _SURNAMES and toks[k].tag == "NNP":
                spans.append(Span(PERSON, toks[k].start, toks[i - 1].end))
        if t.form in _DATE_WORDS and t.tag.startswith("NN") and t.form not in _DATE_TAILS:
            e = toks[i + 1].end if i + 1 < n and toks[i + 1].form in _DATE_WORDS else t.end
            spans.append(Span(DATE, t.start, e))
        # a three-syllable name Kiwi breaks into syllables ("홍석모가" read 홍 + 석 + 모, "강태윤은"),
        # opening with a surname and closed by a particle; not a group ("위약군에")
        if t.form in _SURNAMES and i + 3 < n and (i == 0 or toks[i - 1].end < t.start) \
                and all(len(x.form) == 1 and x.tag in ("NNP", "NNG") for x in toks[i:i + 3]) \
                and toks[i + 1].start == t.end and toks[i + 2].start == toks[i + 1].end \
                and toks[i + 3].start == toks[i + 2].end and toks[i + 3].tag.startswith("J") \
                and toks[i + 2].form not in _INSTITUTION_END:
            spans.append(Span(PERSON, t.start, toks[i + 2].end))
        if t.tag == "NNP":
            # a name right before a title noun, possibly with an organisation between
            # (a Korean name is 2-3 syllables and opens the chain "박성현 리벨리온 대표"); a
            # two-syllable one only right before it: "일본 정부 관계자" names a country
            if not (i and toks[i - 1].tag == "NNP") and re.fullmatch(r"[가-힣]{2,4}", t.form) \
                    and t.form not in _COUNTRIES:
                for k in range(i + 1, min(n, i + 4)):
                    end = _given_name_end(toks, i, k) if toks[k].form in _TITLES else t.end
                    # four syllables only as a foreign name's first word ("다카이치 사나에 총리"):
                    # alone before a title, such a word is a company ("리벨리온 대표")
                    if toks[k].form in _TITLES and toks[k].tag in ("NNG", "NNP", "SL") and (
                            len(t.form) == 3 or end > t.end
                            or (k == i + 1 and len(t.form) == 2 and toks[k].form not in _MARKET_OR_BRANCH)):
                        spans.append(Span(PERSON, t.start, end))
                        break
                    if toks[k].tag not in ("NNP", "NNG", "SL") and not _tenure(toks[k]):
                        break
            # a name with no title: three syllables opening with a common surname, as in
            # encyclopedia text ("김종서를 보내", "이종무가 정벌하였다"), unless its last syllable
            # names an institution or a place ("서울대", "고려대", "부산역"); or any proper
            # noun right after an occupation or a kinship noun ("소설가 한승원", "맏아들 문종")
            if (re.fullmatch(r"[가-힣]{3}", t.form) and t.form[0] in _SURNAMES
                    and t.form[-1] not in _INSTITUTION_END and not (i and toks[i - 1].tag == "NNP")
                    and not (i + 1 < n and toks[i + 1].tag in ("NNP", "NNG") and toks[i + 1].start == t.end)) \
                    or (i and toks[i - 1].form in _BEFORE_NAME and toks[i - 1].tag == "NNG"
                        and re.fullmatch(r"[가-힣]{2,4}", t.form)):
                if Span(PERSON, t.start, t.end) not in spans[-1:]:  # not already found before a title
                    spans.append(Span(PERSON, t.start, t.end))
            # a name right after its title, as encyclopedias write it ("미국 대통령 해리 트루먼은",
            # "국무장관 딘 애치슨이"), with the foreign name's further words; not after a market
            # or a branch ("반도체 시장 삼성전자가")
            word = re.fullmatch(r"[가-힣]{1,5}", t.form) is not None
            k = _name_words_end(toks, i) if word else i
            if word and i and toks[i - 1].tag == "NNG" and toks[i - 1].end + 1 == t.start \
                    and toks[i - 1].form in _TITLED_BEFORE and t.form not in _COUNTRIES \
                    and (k > i or len(t.form) > 1):  # one syllable only as a foreign name's first ("딘 애치슨")
                if Span(PERSON, t.start, toks[k].end) not in spans:
                    spans.append(Span(PERSON, t.start, toks[k].end))
            # a foreign name of two words after a country's genitive, a particle on it: "러시아의
            # 아델리나 소트니코바에게", "캐나다의 벤 존슨이"
            if word and k == i + 1 and 2 <= i and k + 1 < n and toks[i - 1].form == "의" \
                    and toks[i - 2].form in _COUNTRIES and toks[i - 2].end == toks[i - 1].start \
                    and toks[k + 1].tag.startswith("J") and toks[k].end == toks[k + 1].start \
                    and Span(PERSON, t.start, toks[k].end) not in spans:
                spans.append(Span(PERSON, t.start, toks[k].end))
            # a name with the age news gives in brackets: "박소율(29·삼성전자)", "데니스 키프로노(27)",
            # a foreign name's words before it included (not a country: "케냐의 데니스 …")
            if i + 3 < n and toks[i + 1].form == "(" and toks[i + 1].start == t.end and toks[i + 2].tag == "SN" \
                    and len(toks[i + 2].form) <= 3 and toks[i + 3].form in (")", "·") and re.fullmatch(r"[가-힣]{2,5}", t.form):
                k = i
                while k and toks[k - 1].tag == "NNP" and toks[k - 1].end + 1 == toks[k].start \
                        and toks[k - 1].form not in _COUNTRIES and re.fullmatch(r"[가-힣]{2,5}", toks[k - 1].form):
                    k -= 1
                if Span(PERSON, toks[k].start, t.end) not in spans:
                    spans.append(Span(PERSON, toks[k].start, t.end))
            # a proper noun followed by a locative particle, with a preceding proper noun ("일본 도쿄에")
            if i + 1 < n and toks[i + 1].tag == "JKB" and toks[i + 1].form in ("에", "에서", "으로", "로"):
                s = t.start
                if i >= 1 and toks[i - 1].tag == "NNP" and toks[i - 1].end + 1 >= t.start:
                    s = toks[i - 1].start
                spans.append(Span(PLACE, s, t.end))
            elif t.form in _COUNTRIES and (i + 1 == n or toks[i + 1].start > t.end or toks[i + 1].tag.startswith("J")) \
                    and (i == 0 or toks[i - 1].end < t.start) and (i + 1 == n or toks[i + 1].form not in _ERAS):
                # a country, city or province of _COUNTRIES standing alone, however it goes on: "대만
                # 수출이", "충북 음성군의" (not "한국시리즈", nor the era of "조선 후기")
                spans.append(Span(PLACE, t.start, t.end))
            # glued parts make one name: "SK" + "하이닉스"
            s0 = toks[_glued_start(toks, i, ("SL", "NNP"))].start
            if t.end - s0 >= 2:
                spans.append(Span(NAME, s0, t.end))
        elif t.tag == "NNG" and _PLACE_SUFFIX.search(t.form) and i + 1 < n and toks[i + 1].tag == "JKB":
            spans.append(Span(PLACE, t.start, t.end))
            # with the name it belongs to, one space before: "후지산 기슭에", "서울 지역에서" (the
            # shorter phrase stays too, in case the question itself names "후지산")
            if i and toks[i - 1].end + 1 == t.start and toks[i - 1].tag in ("NNG", "NNP"):
                k = _glued_start(toks, i - 1, ("NNG", "NNP"))
                if any(toks[m].tag == "NNP" for m in range(k, i)):
                    spans.append(Span(PLACE, toks[k].start, t.end))
        if t.form in _ROLES and t.tag.startswith("NN") and i + 1 < n and toks[i + 1].tag in ("JKS", "JX"):
            spans.append(Span(PERSON, t.start, t.end))
        if t.tag == "SL" and i + 1 < n and toks[i + 1].tag == "JKB" and toks[i + 1].form in ("에", "에서"):
            spans.append(Span(PLACE, t.start, t.end))
            k = _glued_start(toks, i, ("NNP", "SL"))  # and with the name glued before it: "워싱턴DC에서"
            if k < i:
                spans.append(Span(PLACE, toks[k].start, t.end))
    # a name introduced with a gloss in brackets, as news does: "파인더스AI(리테일 비전AI)",
    # "피처링(SNS 데이터 AI 분석)"; Kiwi tags such unknown names as common nouns
    # ("인공지능(AI)", "고대역폭 메모리(HBM)" gloss a term in Latin letters: not names)
    for i, t in enumerate(toks):
        if t.form == "(" and i and toks[i - 1].end == t.start and toks[i - 1].tag in ("NNG", "NNP", "SL") \
                and not _LATIN_GLOSS.match(text, t.end):
            k = i - 1
            while k and toks[k - 1].tag in ("NNG", "NNP", "SL") and toks[k - 1].end == toks[k].start:
                k -= 1
            if toks[i - 1].end - toks[k].start >= 2:
                spans.append(Span(NAME, toks[k].start, toks[i - 1].end))
    # an organisation's name Kiwi reads as common nouns, glued and ending in a word that names an
    # institution: "일본무역진흥기구(JETRO)", "금융위원회", "산업통상자원부", "한국인공지능·소프트웨어산업협회"
    i = 0
    while i < n:
        if toks[i].tag not in _NOUN_PARTS:  # a run starts at a noun, even one glued to a bracket
            i += 1
            continue
        k = i
        while k + 1 < n and toks[k + 1].start == toks[k].end and (
                toks[k + 1].tag in _NOUN_PARTS or (toks[k + 1].form == "·" and k + 2 < n and toks[k + 2].tag in _NOUN_PARTS
                                                   and toks[k + 2].start == toks[k + 1].end)):
            k += 1
        if k > i and toks[k].end - toks[i].start >= 4 and _ORGANISATION_END.search(text, toks[i].start, toks[k].end):
            spans.append(Span(NAME, toks[i].start, toks[k].end))
        i = k + 1
    # a cause or a purpose: "때문에", "덕분에", "까닭이다", "-으므로", "-니까", "낮아서다", "위하여", and
    # the news reporter's "~라는 기대에서다", "이런 이유에서다" (a noun + 에서 + 이다: out of, because of),
    # and a cause named as one: "가장 큰 원인은 …이다", "…을 주된 원인으로 꼽는다", "…를 이유로 들었다"
    for i, t in enumerate(toks):
        if (t.form in _CAUSE_NOUNS and t.tag in ("NNB", "NNG")) or (t.form in _CAUSE_ENDINGS and t.tag in ("EC", "EF")) \
                or _names_a_cause(toks, i) \
                or (t.form == "위하" and t.tag == "VV") \
                or (t.form == "에서" and t.tag == "JKB" and i and toks[i - 1].tag.startswith("NN") and i + 2 < n
                    and toks[i + 1].tag == "VCP" and toks[i + 2].tag == "EF"):
            spans.append(Span(REASON, t.start, t.end))
    # what a naming noun names: "이름은 이도이며", "시호는 충무공이다", "본명은 김철수이다"
    for i in range(n - 2):
        if toks[i].form in _NAMING and toks[i].tag == "NNG" and toks[i + 1].tag in ("JX", "JKS"):
            k = i + 2
            while k < n and k - i <= 5 and toks[k].tag in ("NNP", "NNG", "MM", "SL", "SN"):
                k += 1
            if k > i + 2 and k < n and toks[k].tag == "VCP":
                spans.append(Span(NAME, toks[i + 2].start, toks[k - 1].end))
    # bulleted items, as news lists them: "▲에브리존 ▲블루문소프트 ▲모빌테크 등". An item runs to the
    # next bullet; the last one is its first glued run of nouns ("▲모빌테크 등 14개사가" -> 모빌테크).
    bullets = [m.start() for m in re.finditer("▲", text)]
    for a, b in zip(bullets, bullets[1:] + [None]):
        start = a + 1
        while start < len(text) and text[start].isspace():
            start += 1
        if b is not None:
            end = b
            while end > start and text[end - 1] in " \t,·":
                end -= 1
        else:
            run = [t for t in toks if t.start >= start]
            end = start
            for t in run:
                if t.start != end or not (t.tag.startswith("NN") or t.tag in ("SL", "SN", "SH")):
                    break
                end = t.end
        if start < end <= start + 40:
            spans.append(Span(NAME, start, end))
    # quoted names: ‘스타게이트’, '알리(Alli)'. The opening mark stands after a space or a mark and
    # the name hugs its quotes, so the stretch between two quotations ('있다"며 "협의회') is none.
    for m in re.finditer(rf"(?<!\w)[{re.escape(_QUOTE_OPEN)}](?!\s)([^{re.escape(_QUOTE_CLOSE)}]{{1,30}})"
                         rf"(?<!\s)[{re.escape(_QUOTE_CLOSE)}]", text):
        spans.append(Span(NAME, m.start(), m.end()))
    # Kiwi sometimes reads a name with its genitive as one proper noun ("서귀포시의"); a name of
    # three syllables may end in 의 itself ("손정의")
    return tuple(Span(s.kind, s.start, s.end - 1) if s.kind in (NAME, PLACE, PERSON) and s.end - s.start >= 4
                 and text[s.end - 1] == "의" else s for s in spans)


@dataclass(frozen=True)
class Switch:
    """A follow-up about another entity ("소니는 몇 개 스타트업에 투자했어?" then "도요타 연구소는?"):
    the previous question's entity and the new one, each as its words glued ("소니", "도요타연구소")."""

    previous: str
    new: str

    def owned_by_previous(self, text: str, span: Span) -> bool:
        """Whether the entity named last before ``span`` is the previous one: "14개" in "소니는 …
        14개 스타트업에 투자했고, 도요타 연구소 역시 …" answers the previous question, not this one."""
        return _last_mention(text, span.start, self.previous) > _last_mention(text, span.start, self.new)


def _last_mention(text: str, before: int, glued: str) -> int:
    """The end offset of the last mention of ``glued`` (spacing ignored) ending by ``before``, or -1."""
    if not glued:
        return -1
    at = [i for i, c in enumerate(text[:before]) if not c.isspace()]
    squashed = "".join(text[i] for i in at)
    k = squashed.rfind(glued)
    return at[k + len(glued) - 1] + 1 if k >= 0 else -1


_QUOTES_AND_SPACE = re.compile(r"[\s‘’“”'\"「」『』《》〈〉]+")


def _overlaps_question(text: str, span: Span, question_forms: frozenset[str],
                       nouns: frozenset[str] = frozenset()) -> bool:
    """Whether a phrase merely repeats the question ("2030년까지 … 얼마?" is not answered by "2030년"):
    it holds one of its ``question_forms``, or it is a name, place or person equal to one of its
    common ``nouns`` (Kiwi tags a name it does not know as one: "리벨리온은 어떤 회사야?")."""
    phrase = _QUOTES_AND_SPACE.sub("", text[span.start:span.end])
    # a long name holding a word of the question is still another name: "일본무역진흥기구" for "일본 … 어느 기관이?"
    least = len(phrase) / 2 if span.kind == NAME and len(phrase) >= 6 else 2
    if any(f and len(f) >= least and f in phrase for f in question_forms) or phrase in question_forms:
        return True
    if span.kind not in (NAME, PLACE, PERSON):
        return False
    if phrase in nouns:
        return True
    # a piece of a name the question writes as one word and the sentence spaces: "우븐" or
    # "시티" of "우븐 시티" when the question asks "우븐시티는 어디에 있어?"
    before = re.sub(r"\s+", "", text[max(0, span.start - 40):span.start])
    after = re.sub(r"\s+", "", text[span.start:span.start + 40])
    for w in question_forms | nouns:
        k = w.find(phrase)
        if len(w) > len(phrase) and k >= 0 and before.endswith(w[:k]) and after.startswith(w[k:]):
            return True
    return False


@lru_cache(maxsize=4096)
def _question_forms(question: str) -> frozenset[str]:
    toks = tokens(question)
    forms = set()
    for i, t in enumerate(toks):
        if t.tag in ("SN", "NNP", "SL", "NNG"):
            forms.add(t.form)
        if t.tag == "SN" and i + 1 < len(toks):
            forms.add(t.form + toks[i + 1].form)
    return frozenset(forms)


# ("몇 대": machines and vehicles, or a generation, "제19대"; not "몇 대회", "몇 대학", nor a score, "몇 대 몇")
_UNIT_AFTER_MYEOT = re.compile(r"몇\s*(분|시간|시(?!즌|리즈)|초|개월|달(?!러)|년|명|개국|개사|개|곳|위|배|인|척|세|살|차|회|번|%|퍼센트|"
                               r"대(?!회|학|표|통령|형|규모|기업|\s*몇)|건|종|가지|층|편|주년|주(?=째|간|\s|$|[?은는이가을를에]|동안|연속)|"
                               + _PRO + r"|조|"
                               r"킬로미터|센티미터|밀리미터|미터|킬로그램|그램|톤|헥토파스칼|평|km|cm|mm|m|kg|hPa)")


def _has_unit(phrase: str, unit: str) -> bool:
    """``phrase`` holds ``unit``, not as part of a longer Latin one ("m" is not in "437km" or "m²")."""
    return re.search(rf"(?<![A-Za-z]){re.escape(unit)}(?![A-Za-z²])", phrase) is not None


# A measure the question names, asked by itself ("피해 면적은?", "다리 길이는 얼마야?"): a count
# in that measure's units, not any number ("가구당 300만 원" is no area)
_AREA = frozenset({"ha", "헥타르", "m²", "㎡", "제곱미터", "km²", "㎢", "평"})
_LENGTH = frozenset({"m", "km", "cm", "mm", "㎞", "㎝", "㎜", "미터", "킬로미터", "센티미터", "밀리미터", "마일"})
_WEIGHT = frozenset({"kg", "g", "t", "킬로그램", "그램", "톤"})
_MEASURE_NOUNS = {"면적": _AREA, "넓이": _AREA, "길이": _LENGTH, "무게": _WEIGHT, "중량": _WEIGHT}
_MEASURE = "(" + "|".join(_MEASURE_NOUNS) + r")(은|는|이|가)?\s*"
_MEASURE_ASKED = re.compile(_MEASURE + r"(얼마|어느\s*정도)?[가-힣\s]{0,6}\??\s*$")  # "길이가 얼마나 돼?"
_MEASURE_END = re.compile(_MEASURE + r"\??\s*$")  # "피해 면적", "길이는?": typed a count
_SAME_UNIT = ({"명", "인"}, {"세", "살"}, {"개", "개사", "개국", "곳"}, {"%", "퍼센트", "프로", "퍼"}, {"년", "해"},
              {"번", "회", "차례", "부작"}, {"개월", "달"}, {"미터", "m"}, {"킬로미터", "km", "㎞"},
              {"센티미터", "cm", "㎝"}, {"밀리미터", "mm", "㎜"}, {"킬로그램", "kg"}, {"톤", "t"},
              {"헥토파스칼", "hPa"}, {"헥타르", "ha"}, {"제곱미터", "m²", "㎡"})


# A rate is answered by a percentage, not by the amount it is a rate of: "수익률은 얼마야?" is not
# answered by "100억 엔 규모의 벤처펀드".
_RATE_WORD = re.compile(_RATE_NOUN + r"|퍼센트|%|\bpercent(age)?\b|\brate\b", re.I)




# The size of what is paid: "AI 반도체 지원 규모는?", "투자 규모가 어떻게 돼?" (a sum of money)
_MONEY_SIZE = re.compile(r"(지원|투자|투입|지출|출자|출연|융자|대출|기부|후원|조달|모금|보조)\s*(규모|금액|액수)")
# What something cost: "놓는 데 얼마가 들었나?", "얼마를 들여 지었어?", not what it holds ("얼마나 들어 있어?")
_COST_ASKED = re.compile(r"얼마(가|나|를|쯤)?\s*(들었|드는|든다|든|들까|드나|들여|들였|들어(?!\s*있))")


def asks_for_a_named_sum(question: str) -> bool:
    """The question's focus names a sum of money ("당기순이익은 얼마야?", "매출은?")."""
    focus = question_focus(question)
    return focus is not None and bool(_MONEY_WORD.search(focus))


# Counters of things a sentence names when it counts them ("헬기 38대", "위성 4기", "선박 3척")
_THING_COUNTERS = frozenset({"대", "기", "척", "그루", "마리"})


def counts_a_thing(question: str) -> bool:
    """The question counts things with a counter of their own ("소방차는 몇 대 투입됐나요?")."""
    unit = question_unit(question, question_type(question))
    return bool(unit and unit & _THING_COUNTERS)


def rate_asked_elsewhere(question: str, text: str) -> bool:
    """The question asks a rate by its name ("합격률은 몇 퍼센트야?": a noun with the suffix 률/율),
    and ``text`` never names what the rate counts ("합격"): a percentage there is a rate of
    something else ("87.2%가 학사학위 과정을 이수"). "성장률은?" is answered by "매년 23.2%씩
    성장해", which names the growth, not the rate."""
    focus = question_focus(question)
    if not focus or focus[-1] not in "률율" or len(focus) < 3:
        return False
    return focus[:-1] not in text.replace(" ", "")


# "나온 날은 언제인가?", "점령한 날짜는?": a day, which a year or a month alone does not give
_DAY_ASKED = re.compile(r"(?<![가-힣])(날|날짜|일자|당일)(은|는|이|가|을|를|로|에|이었|이야|이에요|인가)?(?![가-힣])|(?<=[가-힣])날(은|이|짜)")


@lru_cache(maxsize=4096)
def question_unit(question: str, qtype: str | None = None) -> frozenset[str] | None:
    """The units a "몇 …" question accepts ("몇 분" -> 분; "몇 명" -> 명 or 인), or for an amount
    or a count of a rate ("수익률은 얼마야?"), a percentage; None: any."""
    m = _UNIT_AFTER_MYEOT.search(question)
    if not m and ((qtype == COUNT and _PEOPLE_COUNTED.search(question))
                  or (qtype in (COUNT, AMOUNT) and _PEOPLE_CAME.search(question))):
        return frozenset({"명", "인"})  # "전체 참가자 수", "관중이 얼마나 왔어?": a number of people
    if not m:
        # a counter of its own: "몇 마당", "몇 그루", "몇 권"
        toks = tokens(question)
        after = next((toks[i + 1] for i, t in enumerate(toks[:-1]) if t.form == "몇" and t.tag in ("MM", "NR")), None)
        if after is not None and after.tag in ("NNG", "NNB") and (after.form not in _UNITS or after.form in _MEASURES):
            # a measure the pattern does not list ("몇 헥타르") is its own unit too
            return frozenset(next((g for g in _SAME_UNIT if after.form in g), {after.form}))
        measure = _MEASURE_ASKED.search(_as_asked(question))
        if measure and qtype in (AMOUNT, COUNT):
            return _MEASURE_NOUNS[measure.group(1)]
        if "며칠" in question or (qtype == DATE and _DAY_ASKED.search(question)):
            return frozenset({"일"})  # "며칠이 걸렸나?", "첫 쇳물이 나온 날은 언제인가?": days, not "49년"
        return frozenset(_PERCENT) if qtype in (AMOUNT, COUNT) and _RATE_WORD.search(question) else None
    unit = m.group(1)
    if unit == "번" and question.startswith("째", m.end()):
        # "몇 번째였나?" asks a place in an order: "세 번째" or a rank, "40위"
        return frozenset({"번", "위"})
    return frozenset(next((g for g in _SAME_UNIT if unit in g), {unit}))


@lru_cache(maxsize=4096)
def _question_actions(question: str) -> frozenset[str]:
    """The question's common nouns and verb stems ("상장", "설립"): what a date or duration modifies."""
    return frozenset(t.form for t in tokens(question) if t.tag in ("NNG", "VV") and len(t.form) >= 2)


@lru_cache(maxsize=4096)
def _question_names(question: str) -> frozenset[str]:
    """Numbers and names the question states itself: a phrase repeating one is not the answer."""
    toks = tokens(question)
    forms = set()
    for i, t in enumerate(toks):
        if t.tag in ("NNP", "SL"):
            forms.add(t.form)
        if t.tag == "SN":
            forms.add(t.form + (toks[i + 1].form if i + 1 < len(toks) else ""))
    return frozenset(forms)


@lru_cache(maxsize=4096)
def _question_nouns(question: str) -> frozenset[str]:
    """The question's common nouns of two syllables or more, and the words Kiwi splits into
    nouns ("스타게이트" read as "스타" + "게이트"), glued (see _overlaps_question)."""
    toks = tokens(question)
    return frozenset({t.form for t in toks if t.tag == "NNG" and len(t.form) >= 2}
                     | set(glued_nouns(toks, frozenset({"NNG", "NNP", "SL", "SH"}))))


_QUARTER = re.compile(r"(?<!\d)([1-4])\s*분기|([상하])반기")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?=\s*년)")


def _other_years(question: str, text: str) -> bool:
    """The question is about a year ("2027년 일본 AI 시장 규모는?") or a quarter ("1분기 영업이익은?")
    and ``text`` speaks of others only ("2030년까지 … 1조7천774억 엔", "4분기 영업손실 1260억 원"):
    its phrases answer another question."""
    for period in (_YEAR, _QUARTER):
        asked = set(period.findall(question))
        told = set(period.findall(text))
        if asked and told and not told & asked:
            return True
    return False


def answer_spans(question: str, text: str, qtype: str | None = None, switch: Switch | None = None) -> list[Span]:
    """Phrases of ``text`` with the shape ``question`` asks for, minus those the question itself
    names and, in a follow-up about another entity (``switch``), those of the previous one."""
    qtype = question_type(question) if qtype is None else qtype
    if qtype is None or _other_years(question, text):
        return []
    kinds = {qtype}
    if qtype == COUNT:
        kinds |= {AMOUNT, SHARE, ARTICLE}
    if qtype == AMOUNT:
        kinds |= {COUNT, SHARE}
    if qtype == PLACE and not _COUNTRY_ASKED.search(question) and not _VENUE_ASKED.search(question):
        kinds.add(NAME)  # an organisation answers "어디가 맡아?", not "어느 나라로 …?" nor "어디서 열렸어?"
    names = _question_names(question) - _MEASURES  # "몇 km인가?" names a unit, not its answer
    nouns = _question_nouns(question)
    unit = question_unit(question, qtype)
    if qtype == DATE and unit and not unit & _DATE_UNITS:
        unit = None  # "언제 몇 살의 나이로 …?": the date asked first is no age
    # "확보한 자금은 얼마나 돼?" or "사업비는 총 얼마야?" asks for money: "2나노미터" or "14개사" is no answer
    money = qtype == AMOUNT and unit is None and bool(_MONEY_WORD.search(question) or _MONEY_SIZE.search(question)
                                                      or _PRICE_ASKED.search(question) or _COST_ASKED.search(question))
    # "시장 규모를 얼마로 예상했어?" asks for a size: a growth rate beside it ("23.2%씩") is no answer
    size = money or (qtype == AMOUNT and unit is None and bool(_SIZE_WORD.search(question)))
    reported_only = qtype == DATE and not (_TELLING.search(question) or _ANNOUNCING.search(question))
    speed = bool(_SPEED_ASKED.search(question))
    # "몇 대 몇으로 끝났어?" asks a score: "6-2", "4 대 3"
    score = qtype == COUNT and bool(_SCORE_ASKED.search(question))
    # "몇 퍼센트에서 몇 퍼센트로 내렸어?" asks a change, from one value to another
    change = qtype in (AMOUNT, COUNT) and bool(_CHANGE_ASKED.search(question))
    # "언제까지 해?" asks when something ends, "언제부터?" when it starts: a date that opens
    # ("지난 16일 개막했다") or closes the other way is no answer
    edge = _UNTIL if _UNTIL_ASKED.search(question) else _SINCE if _SINCE_ASKED.search(question) else None

    def fits(s: Span) -> bool:
        phrase = text[s.start:s.end]
        if score and not _SCORE.fullmatch(phrase):
            return False
        if change and not _CHANGE_GAP.search(phrase):
            return False  # "3.00%에서 2.75%로", not one of the two
        if speed and not _SPEED_BEFORE.search(text, 0, s.start) and not phrase.startswith(("시속", "초속", "분속")):
            return False  # "시속 몇 km야?" asks a speed: "총연장 21.4㎞" is a length
        if size and (s.kind == SHARE or any(u in phrase for u in _PERCENT)):
            return False
        if money and not any(u in phrase for u in _MONEY):
            return False
        # the day a source spoke ("… 집계했다고 17일 밝혔다") dates the telling, not the event asked
        # about, unless the telling is what is asked ("언제 발표했어?")
        if s.kind == DATE and reported_only and _REPORTED.match(text, s.end):
            return False
        if s.kind == DATE and edge is not None and not edge.match(text, s.end) \
                and not (edge is _UNTIL and phrase.endswith(("까지", "이내", "내", "전"))):  # a deadline
            return False
        return ((s.kind == SHARE or not unit or any(_has_unit(phrase, u) for u in unit) or s in ages)
                and (s.kind != ARTICLE or bool(_ARTICLE_UNITS & (unit or set()))))

    found = sentence_spans(text)
    found += _unitless_counts(text, unit, nouns, bare=qtype in (AMOUNT, COUNT) and unit is None and not money)
    # an age asked ("몇 살이야?") is given as news gives it, in brackets after the name: "정해숙(67)씨"
    ages = tuple(Span(COUNT, m.start(1), m.end(1)) for m in _BRACKETED_AGE.finditer(text)) \
        if unit and unit & _AGE_UNITS else ()
    found += ages
    if change:
        found += _joined(text, (s for s in found if s.kind in (AMOUNT, COUNT)), _FROM, _TO)
    if score:
        found += tuple(Span(COUNT, m.start(), m.end()) for m in _SCORE.finditer(text))
    if qtype in (DURATION, DATE) and ("기간" in question or "기한" in question
                                      or (_UNTIL_ASKED.search(question) and "부터" in question)):
        # "소비기한은?", "기간이 언제야?": from one day to another, as a length or as a date
        found += _joined(text, (s for s in found if s.kind == DATE), _RANGE_GAP, _RANGE_END, qtype, with_tail=True)
    said = _QUOTES_AND_SPACE.sub("", question)
    if qtype == PLACE and not _ORGANISATION_ASKED.search(question) and not _LIST_QUESTION.search(question):
        # a person is no place: "어디 사람인가?" is not answered by "진채선". A company may look like
        # a person ("오라클", "유라클"), so not when a company is asked for, nor in a list.
        people = {(s.start, s.end) for s in found if s.kind == PERSON} - {
            (s.start, s.end) for s in found if s.kind == PLACE}  # "오사카에서": a place after all
        found = tuple(s for s in found if (s.start, s.end) not in people)

    def stated(s: Span) -> bool:
        """The question itself writes the phrase, spacing and quotes aside: a number phrase, also in
        words ("열두 마당 가운데 … 몇 마당인가?") or with another counter of the same kind ("14곳에
        투자했다던데, 그중 …" against "14개"), or a name of three letters or more ("KOSA 일본 진출
        협의회 발족식은 어디서?" is not answered by "'일본 진출 협의회'")."""
        phrase = _QUOTES_AND_SPACE.sub("", text[s.start:s.end])
        if s.kind in (COUNT, AMOUNT, DATE, DURATION):
            return phrase in said or _quantity_stated(text[s.start:s.end], said)
        return s.kind in (NAME, PLACE, PERSON) and len(phrase) >= 3 and phrase in said

    out = [s for s in _affirmed(text, found)
           if s.kind in kinds and not _overlaps_question(text, s, names, nouns) and fits(s) and not stated(s)
           and not (switch and switch.owned_by_previous(text, s))]
    # keep the longest phrase: "내년 상반기", not "상반기"
    return [s for s in out if not any(o is not s and o.kind == s.kind and o.start <= s.start and s.end <= o.end
                                      and (o.end - o.start) > (s.end - s.start) for o in out)]


# A price asked: "1kg에 얼마에 들여와?", "얼마에 팔렸어?" ("1,100t" is no answer)
_PRICE_ASKED = re.compile(r"얼마에(?!서|\s*(걸|달하|이르))")
# A person's age in brackets after the name, alone or before an affiliation: "정해숙(67)씨", "박소율(29·삼성전자)"
_AGE_UNITS = frozenset({"살", "세"})
_BRACKETED_AGE = re.compile(r"(?<=[가-힣])\((\d{1,3})(?=[)·])")
# A country or a city asked: a place answers, an organisation ("산업통상자원부") does not
_COUNTRY_ASKED = re.compile(r"(어느|어떤|무슨)\s*(나라|국가|도시)")
# Where an event was held: a venue answers, not the organisation that held it
_VENUE_ASKED = re.compile(r"어디(서|에서)\s*(열|개최|진행|치러|치렀|치르|펼쳐)")


# A speed asked ("시속 몇 km야?", "초속 몇 m") is given with its 속 ("초속 47m", "시속 약 80km")
_SPEED_ASKED = re.compile(r"[시초분]속\s*(몇|얼마)")
_SPEED_BEFORE = re.compile(r"[시초분]속\s*(약|최대|최고|평균)?\s*$")


# People a question counts by the noun that names them ("관객 수는?", "관중이 얼마나 왔어?")
_PEOPLE = "관람객|방문객|관광객|관객|승객|사람|인원|직원|학생|환자|주민|회원"
# A number of people asked without a counter: "전체 참가자 수", "관람객 규모", "이재민 숫자"
_PEOPLE_COUNTED = re.compile(r"([가-힣]{0,4}(참가|참석|관람|방문|응시|지원|입국|출국|사용|가입|구독|피해|부상|사망|실종)자|"
                             + _PEOPLE + r"|이재민|인구|선수)\s*(의\s*)?"
                             r"(수|숫자|규모)(은|는|이|가|를|도)?(?![가-힣])")


# "관중이 얼마나 왔어?", "사람들은 얼마나 모였어?": how many people came, not by how much a
# number changed ("환자는 얼마나 늘었어?" may be answered by a percentage)
_PEOPLE_CAME = re.compile(r"(" + _PEOPLE + r"|관중|참가자|참석자|청중|시민|팬)"
                          r"(들)?(이|가|은|는)\s*(모두|총|약)?\s*얼마나\s*"
                          r"(왔|오|모였|모이|몰렸|몰리|찾았|찾|참석|참가|입장|방문|됐|되|돼)")


# A score asked and one written: "6-2로 꺾고", "4 대 3", "3:1"
_SCORE_ASKED = re.compile(r"몇\s*(대|-|:)\s*몇")
_SCORE = re.compile(r"(?<![\d.,\-:])\d{1,3}\s*(-|:|대)\s*\d{1,3}(?![\d.,\-:])")


# A change asked ("몇 퍼센트에서 몇 퍼센트로", "얼마에서 얼마로") and one written ("연 3.00%에서 2.75%로",
# "16GWh에서 30GWh로"): two quantities of a kind, the first with 에서, the second with (으)로
_CHANGE_ASKED = re.compile(r"(몇|얼마)\s*[^\s?]{0,6}에서\s*(몇|얼마)")
_CHANGE_GAP = re.compile(r"에서\s")
_FROM = re.compile(r"[^\s\d]{0,4}에서\s+")  # between the two values, past the first's unit ("%포인트에서 ")
_TO = re.compile(r"[^\s\d]{0,4}?(으로|로)")  # after the second


def _joined(text: str, spans: Iterable[Span], gap: re.Pattern, tail: re.Pattern,
            kind: str | None = None, with_tail: bool = False) -> tuple[Span, ...]:
    """Phrases running from one of ``spans`` to a later one, ``gap`` all the text between them
    and ``tail`` right after the second: a period ("9월 8일부터 12일까지"), a change ("3.00%에서
    2.75%로"). Of ``kind`` (by default the first span's), the tail included when ``with_tail``."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    out = []
    for a in ordered:
        for b in ordered:
            end = tail.match(text, b.end) if b.start > a.end and gap.fullmatch(text, a.end, b.start) else None
            if end:
                out.append(Span(kind or a.kind, a.start, end.end() if with_tail else b.end))
                break
    return tuple(out)


# The end or the start of something asked, and a date that gives it: "내년 3월 2일까지",
# "31일 자정까지", "31일 종료된다"; "1월 1일부터", "12일 첫차부터", "2024년 시행". "2014년 이후
# 11년 만" counts the years since, and starts nothing.
_UNTIL_ASKED = re.compile(r"(언제|몇\s*년)\s*까지")
_SINCE_ASKED = re.compile(r"(언제|몇\s*년)\s*부터")
_UNTIL = re.compile(r"\s*((전|후|뒤|이내|내|안)?\s*까지|[가-힣]{1,2}까지|(전|이내|내)(?![가-힣])|에?\s*(끝나|끝난|끝날|종료|마감|만료|완료|폐막|막을\s*내))")
_SINCE = re.compile(r"\s*((전|후|뒤)?\s*부터|[가-힣]{1,2}부터|이후(?!\s*[\d,.]+\s*(년|개월|달|일|주일?|시간)\s*만)|에?\s*(시작|개시|시행|개막|문을\s*열|첫선))")


# Between the two dates of a period: "9월 8일부터 12일까지", "28일부터 다음 달 3일까지"
_RANGE_GAP = re.compile(r"\s*부터\s*((다음|이번)\s*달|이듬해|내년|다음\s*해)?\s*")
_RANGE_END = re.compile("까지")


# A number and the word after it ("14곳에", "1,000억 달러")
_QUANTITY = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([^\d\s,.]{0,4})")


def _quantity_stated(phrase: str, question: str) -> bool:
    """``phrase`` gives a number the question states itself, with a unit of the same kind
    ("14개" after "14곳에 투자했다던데"): a quantity the question knows is not what it asks."""
    m = _QUANTITY.search(phrase)
    if not m or not m.group(2):
        return False
    value, unit = m.group(1).replace(",", ""), m.group(2)
    same = next((g for g in _SAME_UNIT if any(unit.startswith(u) for u in g)), {unit})
    return any(q.group(1).replace(",", "") == value and any(q.group(2).startswith(u) for u in same)
               for q in _QUANTITY.finditer(question))


def _unitless_counts(text: str, unit: frozenset[str] | None, nouns: frozenset[str], bare: bool) -> tuple[Span, ...]:
    """Numbers the shapes leave without a unit that answer the question all the same: one before
    the question's own counter ("다섯 마당", a counter the shapes do not know) and, when ``bare``,
    a value right after a noun asked about ("타율 0.474") that stands alone ("임상 3상" is a phase)."""
    own = unit is not None and bool(unit) and not unit & _UNITS
    if not own and not bare:
        return ()
    toks = tokens(text)
    out = []
    for i, j, u, _ in _number_groups(toks):
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        if u:
            continue
        if own and unit is not None and nxt is not None and nxt.form in unit:
            out.append(Span(COUNT, toks[i].start, nxt.end))
        elif bare and i and toks[i - 1].form in nouns and toks[i - 1].tag == "NNG" and toks[i - 1].end < toks[i].start \
                and not (nxt is not None and nxt.start == toks[j].end and nxt.tag[:2] in ("NN", "SL", "XS")):
            out.append(Span(COUNT, toks[i].start, toks[j].end))
    return tuple(out)


# "회사는 어디야?", "어느 기업에 있었어?": an organisation is asked for
_ORGANISATION_ASKED = re.compile(r"회사|기업|업체|기관|단체|팀|협회|스타트업")
# "어디어디", "누구누구", "무엇무엇": a doubled question word asks for a list
_LIST_QUESTION = re.compile(r"(어디|누구|무엇|뭐|언제)\s*\1")


# What may stand between two items of a list: a separator ("A, B", "A·B", "A와 B", "A 및 B",
# "▲A ▲B"), after an optional bracketed gloss of the first item ("파인더스AI(리테일 비전AI), 피처링").
_LIST_GAP = re.compile(r"\s*(\([^()]{0,40}\))?\s*([,·、/]|와|과|및|▲|,\s*▲)\s*▲?\s*")

# between two people listed, the first one's title, after up to two words of its organisation:
# "하정우 대통령실 AI미래기획수석과 마이클 크라치오스 …"
_TITLED_GAP = re.compile(r"(\s+[^\s,·]+){0,2}?\s+[^\s,·]*(" + _TITLE_WORDS + r")" + _LIST_GAP.pattern)

# "애플도 아니고", "의지가 아니라", "대기업이 아닌": what follows denies the phrase
_DENIED = re.compile(r"(\s*(" + "|".join(sorted(_TITLES, key=len, reverse=True)) + r"))?"
                     r"\s*(도|이|가|은|는)?\s*((더더욱|더욱|결코|절대로?|전혀)\s*)?아(니|닌)")
# between the items of a denied list, words the shapes do not know may stand ("구글, MS, 메타도 아니고")
_DENIED_LIST_GAP = re.compile(r"\s*([,·]\s*[^\s,·]{1,12}\s*)*[,·]\s*|\s*(와|과|및)\s*")


def _affirmed(text: str, spans: tuple[Span, ...]) -> list[Span]:
    """``spans`` minus those the sentence denies ("현재 가장 잘 나가는 테크 기업은 애플도 아니고,
    구글, MS, 메타도 아니고 …"): a denied phrase, and the items listed before it."""
    denied: list[Span] = []
    for s in sorted(spans, key=lambda s: -s.start):
        if _DENIED.match(text, s.end) or any(d.start >= s.end and _DENIED_LIST_GAP.fullmatch(text, s.end, d.start)
                                             for d in denied):
            denied.append(s)
    return [s for s in spans if s not in denied]


def _lists(text: str, spans: list[Span]) -> list[tuple[int, int]]:
    """Runs of two or more phrases listed one after the other, as (start, end) in ``text``."""
    runs: list[tuple[int, int]] = []
    extending = False
    for a, b in pairwise(sorted(spans, key=lambda s: (s.start, s.end))):
        if b.start < a.end:  # an overlapping phrase ("일본 도쿄" / "도쿄") does not break a run
            continue
        if _LIST_GAP.fullmatch(text, a.end, b.start) or (
                a.kind == b.kind == PERSON and _TITLED_GAP.fullmatch(text, a.end, b.start)):
            if extending:
                runs[-1] = (runs[-1][0], b.end)
            else:
                runs.append((a.start, b.end))
            extending = True
        else:
            extending = False
    return runs


def has_answer_shape(question: str, text: str, qtype: str | None = None, switch: Switch | None = None) -> bool:
    """``text`` holds a phrase of the asked shape; when the question asks for a list, two
    such phrases listed one after the other ("피처링(...), 채널톡(...)")."""
    spans = answer_spans(question, text, qtype, switch)
    if not _LIST_QUESTION.search(question):
        return bool(spans)
    return bool(_lists(text, spans))


_SOURCE = {"로부터", "으로부터", "에게서", "한테서"}


def _subject_names(question: str, text: str) -> list[Span]:
    """For the highlight only, when a who-question's sentence holds no person phrase: the proper
    nouns that are the subject of a clause ("세종은 … 훈민정음을 창제", "원균이 이끈", "데버라 스미스가"),
    a run of them taken whole, minus those the question names. Too loose to rank with (a country
    is a subject too), so the ranker's shape never sees them."""
    if any(t.form in _TITLES for t in tokens(question)):
        return []  # "리벨리온 대표는 누구야?" asks for a titled person, which the shape finds or nobody is
    toks = tokens(text)
    stated = _question_names(question) | _question_nouns(question)
    out = []
    for i, t in enumerate(toks[:-1]):
        # the subject, or the one something came from ("일론 머스크로부터 … 자금을 받았고")
        if t.tag != "NNP" or not (toks[i + 1].tag in ("JKS", "JX") or toks[i + 1].form in _SOURCE) \
                or toks[i + 1].start != t.end:
            continue
        k = i
        while k and toks[k - 1].tag == "NNP" and toks[k].start - toks[k - 1].end <= 1:
            k -= 1
        phrase = text[toks[k].start:t.end]
        if re.fullmatch(r"[가-힣 ]{2,12}", phrase) and not _PLACE_SUFFIX.search(t.form) and t.form not in _COUNTRIES \
                and not any(f in stated for f in phrase.split()):
            out.append(Span(PERSON, toks[k].start, t.end))
    return out


# Particles that a question word and its answer share ("어디로" ... "일본으로", "누구와" ... "대통령과").
_PARTICLE_CLASS = {"으로": "로", "로": "로", "에서": "에서", "에": "에", "에게": "에게", "한테": "에게",
                   "께": "에게", "와": "와", "과": "와", "랑": "와", "이랑": "와", "하고": "와"}


@lru_cache(maxsize=4096)
def _asked_particle(question: str) -> str | None:
    """The particle on the question word ("어디로" -> 로, "누구와" -> 와), if one of _PARTICLE_CLASS."""
    toks = tokens(question)
    for i, t in enumerate(toks[:-1]):
        if t.form in ("어디", "누구") and t.tag == "NP" and toks[i + 1].tag.startswith("J"):
            return _PARTICLE_CLASS.get(toks[i + 1].form)
    return None


# "공급하는 회사는?", "참여한 기업은 어디야?": the question's verb modifies what it asks for
_MODIFIED_ASK = re.compile(r"(는|은|한|된|던|할|될)\s+(회사|기업|업체|곳|사람|인물|나라|국가|도시|기관|단체)")
# the clause has a subject of its own ("오라클 등이 참여한 … 프로젝트"): what it modifies is not the doer
_SUBJECT_BEFORE = re.compile(r"(\s*등)?[이가]\s+$")
_CLAUSE_GAP = 20  # characters a clause end counts for in the distance to the question's words
_ANNOUNCING = re.compile(r"발표|공표|보도|알렸|알린|알리|공개했|공개한")
_TELLING = re.compile(r"말했|말한|말하|밝혔|밝힌|밝히|설명|전했|전한|강조|언급|발언|따르면")
# What follows the date a source spoke on: "…에 따르면" (at most two words between), a verb of
# saying, or the quote itself.
_REPORTED = re.compile(r'\s*((\S+\s+){0,2}\S*에\s*따르면|(밝혔|말했|전했|설명했|덧붙였|강조했)|[“"‘])')


def _distance_to_question(question: str, text: str) -> Callable[[Span], float]:
    """A phrase's mean distance, in characters, to each word of the question that ``text``
    repeats (its nearest occurrence), the roots of the question's adverbs made of a noun
    included ("실제로" -> "실제"). A clause end between ("산정됐지만", "투자했고") counts
    _CLAUSE_GAP more: a word of the question in another clause is farther away."""
    forms = _question_forms(question) | {t.form[:-1] for t in tokens(question)
                                         if t.tag == "MAG" and len(t.form) >= 3 and t.form[-1] == "로"}
    anchors = [[(m.start(), m.end()) for m in re.finditer(re.escape(f), text)] for f in forms if len(f) >= 2]
    anchors = [a for a in anchors if a]
    bounds = [t.end for t in tokens(text) if t.tag == "EC"] if anchors else []

    def gap(s: Span, a: int, b: int) -> int:
        lo, hi = (s.end, a) if a >= s.end else (b, s.start)
        return max(0, hi - lo) + _CLAUSE_GAP * sum(lo < e <= hi for e in bounds)

    def distance(s: Span) -> float:
        return sum(min(gap(s, a, b) for a, b in occ) for occ in anchors) / len(anchors) if anchors else 0.0
    return distance


def _doers(question: str, text: str) -> set[tuple[str, int]]:
    """Where the doer of the question's verb stands in ``text``, for "HBM을 공급하는 회사는?": the
    name the same verb modifies ("HBM을 공급하는 SK하이닉스", as ("start", offset)), or the
    clause's own subject ("오라클 등이 참여한 … 프로젝트", as ("end", offset))."""
    doers: set[tuple[str, int]] = set()
    if _MODIFIED_ASK.search(question):
        for a in _question_actions(question):
            for m in re.finditer(re.escape(a) + r"(하|되)?(는|은|한|된|던|할|될)\s+", text):
                own = _SUBJECT_BEFORE.search(text, 0, m.start())
                doers.add(("end", own.start()) if own else ("start", m.end()))
    return doers


def best_span(question: str, text: str, qtype: str | None = None,
              switch: Switch | None = None) -> tuple[int, int] | None:
    """The phrase answering ``question`` inside ``text`` (offsets into ``text``), or None.

    Of several phrases of the right shape, the primary kind wins, then the one
    nearest to the words the question shares with the sentence. A list question's
    answer is the longest list, from its first item to its last."""
    qtype = question_type(question) if qtype is None else qtype
    spans = answer_spans(question, text, qtype, switch) if qtype in FACTOID else []
    if not spans and qtype == PERSON:
        spans = [s for s in _subject_names(question, text) if not (switch and switch.owned_by_previous(text, s))]
    if not spans:
        return None
    if _LIST_QUESTION.search(question):
        runs = _lists(text, spans)
        if runs:
            return max(runs, key=lambda r: (r[1] - r[0], -r[0]))
    distance = _distance_to_question(question, text)
    # a count or an amount right after a noun the question names, alone or first of two
    # ("가축 91만2000마리", "청소년과 어린이는 3,000원")
    nouns = sorted((f for f in _question_forms(question) if len(f) >= 2 and not f[0].isdigit()), key=len, reverse=True) \
        if qtype in (COUNT, AMOUNT) else []
    counted = re.compile("(" + "|".join(map(re.escape, nouns)) + r")((과|와|및|·)\s*[가-힣]{1,6})?(은|는|이|가|도|만)?\s*$") \
        if nouns else None
    actions = [[(m.start(), m.end()) for m in re.finditer(re.escape(f), text)] for f in _question_actions(question)]
    actions = [a for a in actions if a]

    wanted = _asked_particle(question)
    telling = bool(_TELLING.search(question))
    doers = _doers(question, text) if qtype in (NAME, PLACE, PERSON) else set()
    toks = tokens(text) if wanted else ()

    def particle_of(s: Span) -> str | None:
        """The particle closing the phrase, past the nouns of its title chain ("트럼프 미국 대통령과")."""
        for t in toks:
            if t.start < s.end or t.tag.startswith("NN") or t.tag in ("SL", "SN", "SS", "SW"):
                continue
            return _PARTICLE_CLASS.get(t.form) if t.tag.startswith("J") else None
        return None

    def subject(s: Span) -> bool:
        """The phrase is a clause's subject or topic ("소니는 … 투자했고")."""
        after = next((t for t in toks if t.start >= s.end), None)
        return after is not None and after.start == s.end and after.tag in ("JKS", "JX") \
            and after.form in ("은", "는", "이", "가")

    if qtype == PLACE and wanted in ("에", "로", "에서"):
        # "어디에 투자했어?" is not answered by the one who invested ("소니는 … 14개 스타트업에 투자했고")
        spans = [s for s in spans if not subject(s)]
        if not spans:
            return None

    def cost(s: Span) -> tuple:
        primary = 0 if s.kind == qtype else 1
        # "어디로 옮겼어?" is answered by the place with 로: "미국에 있던 본사를 일본으로"
        mismatch = bool(wanted) and particle_of(s) != wanted
        if qtype == NAME and text[s.start] not in _QUOTE_OPEN:
            primary = 1  # a quoted name is the name asked for
        # a dated phrase ("오는 26일") is more precise than a relative one ("이달 초")
        # and an absolute one than one counted from now ("10여 년 전")
        phrase = text[s.start:s.end]
        vague = qtype in (DATE, DURATION, AMOUNT, COUNT) and (not any(c.isdigit() for c in phrase)
                                                              or (s.kind == DATE and phrase.endswith(_FROM_NOW)))
        aside = text.rfind("(", 0, s.start) > text.rfind(")", 0, s.start)  # "(현지시간 25일)"
        # A time phrase precedes the predicate it dates ("내년 상반기 코스닥 상장을 추진"):
        # the nearest of the question's common nouns after it.
        ahead = min((a - s.end for occ in actions for a, _ in occ if a >= s.end), default=10 ** 6) \
            if qtype in (DATE, DURATION) and actions else 0
        # the day the news was told, not the day of the event ("25일 업계에 따르면", "2일 밝혔다",
        # "2일 “…"): after even a vague date of the event ("지난달"), unless the telling is asked about
        reported = s.kind == DATE and not telling and bool(_REPORTED.match(text, s.end))
        unmodified = bool(doers) and ("start", s.start) not in doers and ("end", s.end) not in doers
        # "가축 91만2000마리", not "돼지 4만2000마리" before it; "한국이 31척을", not "발주량은 48척"
        loose = counted is not None and not counted.search(text, 0, s.start)
        return (unmodified, primary, mismatch, reported, vague, aside, ahead, loose, distance(s), s.start)

    best = min(spans, key=cost)
    return best.start, best.end
