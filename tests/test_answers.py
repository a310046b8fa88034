"""Answer types and answer phrases (no model needed)."""

import pytest

from index import answers
from index.split import split_sentences


@pytest.mark.parametrize("question,kind", [
    ("리벨리온 대표는 누구야?", answers.PERSON),
    ("Who is the CEO of Rebellions?", answers.PERSON),
    ("업스테이지는 언제 일본 법인을 세웠나?", answers.DATE),
    ("When did the summit take place?", answers.DATE),
    ("몇 분 동안 회담했나?", answers.DURATION),
    ("대통령 임기는 몇 년이야?", answers.DURATION),
    ("일본은 AI 지원에 얼마를 쓰나?", answers.AMOUNT),
    ("How much does Japan spend on chips?", answers.AMOUNT),
    ("KOSA 협의회에 참여한 기업은 몇 곳이야?", answers.COUNT),
    ("리벨리온은 첫 해외법인을 어디에 세웠나?", answers.PLACE),
    ("소프트뱅크가 참여한 프로젝트 이름은?", answers.NAME),
    ("일본 정부는 왜 AI를 지원하나?", answers.REASON),
    ("벤처 AI 기업들이 일어서기 어려운 이유는?", answers.REASON),
    ("Why did Japan pass the AI law?", answers.REASON),
    ("실패 원인은 의지 부족인가?", None),  # proposes its answer: asks for a verdict, not a cause
    ("실패 원인은 무엇인가?", answers.REASON),
    # "어쩌다", "어째서": a cause asked without 왜
    ("고객 정보는 어쩌다 빠져나간 거야?", answers.REASON),
    ("공장은 어째서 멈췄나요?", answers.REASON),
    ("첨단기술 산업화의 약점은 무엇인가?", None),
    # a time noun with 얼마 asks how long, not how much
    ("정상 회담 시간은 얼마나 됐어?", answers.DURATION),
    ("공사는 얼마나 오래 걸려?", answers.DURATION),
    ("출시 얼마 만에 흑자를 냈어?", answers.DURATION),
    ("시간당 임금은 얼마야?", answers.AMOUNT),
    # "어느 정도" at the end, or before 규모, asks for an amount
    ("세제 혜택은 어느 정도야?", answers.AMOUNT),
    ("구매 규모가 어느 정도야?", answers.AMOUNT),
    ("시장은 2027년에 어느 정도 규모가 될까?", answers.AMOUNT),
    ("일본은 AI 도입에 어느 정도 적극적이야?", None),
    # "<noun>이 어떻게 되나요?" asks the noun's value, as "<noun>은?" does; not what happens
    ("소프트뱅크 비전펀드 규모가 어떻게 되나요?", answers.AMOUNT),
    ("대통령 임기는 어떻게 돼?", answers.DURATION),
    ("감사원장 임기는?", answers.DURATION),
    ("긴급명령이 국회 승인을 못 받으면 어떻게 돼?", None),
    # a query of nouns only is typed as its elliptic question ("… 규모는?", "… 대표는?")
    ("일본 정부 AI 반도체 지원 규모", answers.AMOUNT),
    ("리벨리온 대표", answers.PERSON),
    ("한일 정상회담 시간", answers.DURATION),
    ("한일 정상회담", None),
    # so is a request of nouns ("… 알려줘", "… 궁금해요")
    ("리벨리온 대표 좀 알려줘", answers.PERSON),
    ("일본 데이터센터 보조금 규모 알려주세요", answers.AMOUNT),
    ("올거나이즈 상장 계획에 대해 알려줘", None),
    # "몇 프로" is spoken for a percentage; a priority (우선순위) is no rank
    ("올거나이즈 매출 일본 비중 몇프로임?", answers.AMOUNT),
    ("몇 프로젝트에 참여했어?", answers.COUNT),
    ("대기업과 중소기업 중 우선순위는 어떻게 되나요?", None),
    # a time of day is a date, not a count; a fee or a sum named by 액 is money
    ("영덕 지진 몇시에 났음?", answers.DATE),
    ("몇 시즌째 뛰고 있어?", answers.COUNT),
    ("이준서 라인베르크 연봉", answers.AMOUNT),
    ("영덕 지진 재산피해액 총 얼마임?", answers.AMOUNT),
    # time gone by, and days late, are lengths of time
    ("낡은 배관은 교체 시기를 얼마나 지났어?", answers.DURATION),
    ("예산안 처리가 법정 기한보다 며칠 늦었어?", answers.DURATION),
    ("파업은 며칠째 이어지고 있어?", answers.DURATION),
])
def test_question_types(question, kind):
    assert answers.question_type(question) == kind


@pytest.mark.parametrize("question,sentence,phrase", [
    ("몇 분 동안 회담했나?", "이 자리에서 113분간 회담을 나눈 양국 정상은 협력을 추진키로 합의했다.", "113분간"),
    ("리벨리온 대표는 누구야?", "박성현 리벨리온 대표는 2일 “일본 시장이 빠르다”고 설명했다.", "박성현"),
    ("업스테이지는 언제 일본 법인을 세웠나?", "업스테이지는 지난 3월 일본 법인을 설립하고 인력 채용에 나섰다.", "지난 3월"),
    # the year the question names is not the answer; the amount is
    ("일본은 2030년까지 AI에 얼마를 쓰나?", "일본은 2030년까지 무려 10조 엔(약 93조원)에 이르는 자금을 투입한다.",
     "10조 엔(약 93조원)"),
    ("헌법재판관은 몇 명이야?", "헌법재판소는 법관의 자격을 가진 9인의 재판관으로 구성한다.", "9인"),
    ("무하유는 언제 상장하나?", "내년 상반기 코스닥 상장을 추진 중인 '무하유'도 올해 하반기 일본 법인을 설립키로 했다.",
     "내년 상반기"),
    ("프로젝트 이름은?", "최근에는 미국 AI 인프라 합작 프로젝트 ‘스타게이트’에도 이름을 올렸다.", "‘스타게이트’"),
    ("올거나이즈 매출 일본 비중 몇프로임?", "전체 매출의 약 70%를 일본 법인에서 거두고 있다.", "70%"),
    ("학종 2단계 면접 몇퍼 반영함?", "2단계에서 서류 70%와 면접 30%를 합산해 최종 합격자를 가린다.", "30%"),  # the interview's share, right after its noun
    # the hour with its day; its minutes are no length of time
    ("영덕 지진 몇시에 났음?", "18일 오전 4시 17분께 경북 영덕군 동쪽 34㎞ 해역에서 지진이 발생했다.", "18일 오전 4시 17분"),
    # a period asked by 기간 is answered by its first and last days
    ("새빛대 수시 원서접수 기간 궁금해요", "원서접수는 2026년 9월 8일부터 12일까지 진행된다.", "2026년 9월 8일부터 12일까지"),
    ("무료 운행 기간은?", "경기도는 28일부터 다음 달 3일까지 요금을 받지 않는다.", "28일부터 다음 달 3일까지"),
])
def test_answer_phrase(question, sentence, phrase):
    span = answers.best_span(question, sentence)
    assert span is not None
    assert sentence[span[0]:span[1]] == phrase


def test_a_quantity_the_question_states_is_not_its_answer():
    # "14곳에 투자했다던데, 그중 … 몇 곳?" knows the 14: "14개" is no answer, even with another counter
    q = "소니가 AI 스타트업 14곳에 투자했다던데, 그중 한국 스타트업은 몇 곳이었나요?"
    assert not answers.has_answer_shape(q, "소니는 벤처펀드를 조성해 AI 분야 14개 스타트업에 투자했다.")
    assert highlighted("소니는 AI 스타트업 몇 곳에 투자했어?",
                       "소니는 벤처펀드를 조성해 AI 분야 14개 스타트업에 투자했다.") == "14개"


@pytest.mark.parametrize("sentence,durations", [
    ("이 대통령은 지난 23일 일본 도쿄에서 총리와 회담을 가졌다.", []),  # a day of the month
    ("25일 업계에 따르면 회담은 8월 23일 열렸다.", []),
    ("2025년 법안이 통과됐다.", []),
    ("이 자리에서 113분간 회담을 나눈 양국 정상은 합의했다.", ["113분간"]),
    ("대통령의 임기는 5년으로 하며 중임할 수 없다.", ["5년"]),
    ("공포한 날로부터 20일을 경과함으로써 효력을 발생한다.", ["20일"]),
    ("행사는 3일간 열렸다.", ["3일간"]),
])
def test_a_date_is_not_a_duration(sentence, durations):
    found = [sentence[s.start:s.end] for s in answers.sentence_spans(sentence) if s.kind == answers.DURATION]
    assert found == durations


@pytest.mark.parametrize("sentence,gives_reason", [
    ("주요 AI 모델 개발 수가 현저히 적은 데다 AI 민간 투자액도 낮아서다.", True),
    ("대기업은 스스로 자금력이 있으므로 자력으로 해낼 수 있다.", True),
    ("입증의 부담을 안기 때문에 민사소송으로 구제받기 어렵다.", True),
    ("SK하이닉스가 앞선 것은 오직 메모리에 집중한 까닭이다.", True),
    ("기업용 AI 솔루션 사업을 확장할 수 있을 것이라는 기대에서다.", True),
    ("미국 빅테크가 일본 투자를 공언하는 것도 이런 이유에서다.", True),
    ("일본은 스탠포드 대학교 HAI 지수에서 36개국 중 9위로 평가됐다.", False),
    ("정상회담은 일본 도쿄에서 열렸다.", False),
])
def test_a_why_question_asks_for_a_cause(sentence, gives_reason):
    question = "일본이 HAI 지수에서 낮게 평가된 이유는?"
    assert answers.has_answer_shape(question, sentence) is gives_reason
    assert answers.best_span(question, sentence) is None  # a clause, not a phrase to highlight


def test_no_phrase_without_the_shape():
    assert answers.best_span("리벨리온 대표는 누구야?", "일본은 AI 허브로 변신하고 있다.") is None
    assert answers.best_span("왜 일본으로 가나?", "상장이 한국보다 쉽다.") is None


@pytest.mark.parametrize("question", ["누가 투자했나?", "언제 발표했나?", "얼마를 투자했나?", "몇 명이 참여했나?",
                                      "어디에 세웠나?", "이름은?"])
def test_spans_lie_inside_every_seed_sentence(seed_docs, question):
    for doc in seed_docs:
        for s in split_sentences(doc):
            for sp in answers.answer_spans(question, s.text):
                assert 0 <= sp.start < sp.end <= len(s.text)
                assert s.text[sp.start:sp.end].strip() == s.text[sp.start:sp.end]


@pytest.mark.parametrize("question,expected", [
    ("일본의 벤처 투자 규모는 미국이나 중국과 비교해 어떤가?", None),  # how, not how much
    ("일본 정부는 데이터센터 전력 문제를 어떻게 돕고 있나?", None),
    ("왜 한국 스타트업들이 일본으로 가나?", "reason"),  # a why question asks for a cause, not a phrase
    ("카카오가 처음 흑자를 낸 건 무엇 덕분이었나?", "reason"),  # a cause asked without 왜
    ("노조는 뭐 때문에 파업했어?", "reason"),
    ("투자 규모는?", "amount"),
    ("몇 분 동안 어떻게 회담했나?", "duration"),  # an explicit shape word wins
])
def test_how_and_why_questions_ask_for_no_shape(question, expected):
    assert answers.question_type(question) == expected


def test_a_doubled_question_word_asks_for_a_list():
    one = "리벨리온은 최근 첫 해외법인을 설립했다."
    several = "파인더스AI(리테일 비전AI), 피처링(SNS 데이터 AI 분석), 채널톡(AI 에이전트) 등도 일본 법인을 세운다."
    assert answers.has_answer_shape("일본에 법인을 세운 스타트업은 어디인가?", one)
    assert not answers.has_answer_shape("일본에 법인을 세운 스타트업은 어디어디인가?", one)
    assert answers.has_answer_shape("일본에 법인을 세운 스타트업은 어디어디인가?", several)


@pytest.mark.parametrize("sentence, listed", [
    # two names in one sentence are not yet a list: a company and the city it went to
    ("반도체 스타트업 퓨리오사가 최근 일본 도쿄에 법인을 세웠다.", False),
    ("구글, 아마존웹서비스(AWS), 마이크로소프트가 일본에 데이터센터를 짓는다.", True),
    ("소니와 도요타가 일본에 연구소를 세웠다.", True),
    ("▲네이버 ▲카카오 등이 참여했다.", True),
])
def test_a_list_is_names_one_after_another(sentence, listed):
    assert answers.has_answer_shape("일본에 시설을 세운 기업은 어디어디야?", sentence) is listed


def test_a_list_question_highlights_the_whole_list():
    text = "올해 소니와 도요타, 닛산이 일본에 연구소를 세웠다."
    a, b = answers.best_span("일본에 연구소를 세운 기업은 어디어디야?", text)
    assert text[a:b] == "소니와 도요타, 닛산"
    # one name, no list: that name
    text = "올해 소니가 일본에 연구소를 세웠다."
    a, b = answers.best_span("일본에 연구소를 세운 기업은 어디어디야?", text)
    assert text[a:b] == "소니"


def test_a_latin_gloss_does_not_make_a_name():
    # "인공지능(AI)" glosses a common noun; "파인더스AI(리테일 비전AI)" introduces a company
    spans = answers.sentence_spans("인공지능(AI) 기업 파인더스AI(리테일 비전AI)가 문을 열었다.")
    text = "인공지능(AI) 기업 파인더스AI(리테일 비전AI)가 문을 열었다."
    names = [text[s.start:s.end] for s in spans if s.kind == answers.NAME]
    assert "인공지능" not in names and "파인더스AI" in names


@pytest.mark.parametrize("sentence, person", [
    ("국내 기업들의 일본 시장 공략을 돕는다.", None),  # a market, not a mayor
    ("리벨리온은 일본 지사를 열었다.", None),  # a branch office, not a governor
    ("김철수 시장은 예산을 늘렸다.", "김철수"),
    ("일본 정부 관계자는 그렇게 말했다.", None),  # a country, then its government's spokesman
    ("허준 대표는 그렇게 말했다.", "허준"),  # a two-syllable name right before its title
    ("조준희 KOSA 회장은 기회가 열렸다고 말했다.", "조준희"),
])
def test_a_place_before_a_market_is_not_a_person(sentence, person):
    found = [sentence[s.start:s.end] for s in answers.sentence_spans(sentence) if s.kind == answers.PERSON]
    assert found == ([person] if person else [])


@pytest.mark.parametrize("sentence, market", [
    ("네이버 일본 대표는 그렇게 말했다.", "일본"),
    ("쿠팡 미국 대표는 그렇게 말했다.", "미국"),
    ("애플 코리아 대표는 그렇게 말했다.", "코리아"),
    ("리벨리온 도쿄 지사장은 그렇게 말했다.", "도쿄"),
])
def test_a_company_s_market_is_no_second_name_word(sentence, market):
    # "네이버 일본" had been read as a two-word foreign name, like "도널드 트럼프"
    found = [sentence[s.start:s.end] for s in answers.sentence_spans(sentence) if s.kind == answers.PERSON]
    assert not any(market in f for f in found)


@pytest.mark.parametrize("question, sentence, person", [
    # a foreign name is two words, with the country or the company before the title
    ("미국 대통령은 누구야?", "도널드 트럼프 미국 대통령은 관세를 발표했다.", "도널드 트럼프"),
    ("일본 총리는 누구야?", "이 대통령은 이시바 시게루 일본 총리와 회담을 가졌다.", "이시바 시게루"),
    ("엔비디아 CEO는 누구야?", "젠슨 황 엔비디아 CEO는 한국을 찾았다.", "젠슨 황"),
    ("미국 대통령은 누구야?", "도널드 트럼프 대통령은 관세를 발표했다.", "도널드 트럼프"),
    # "전" (former) between the name and the title; a four-syllable first word
    ("누가 사망했어?", "아베 신조 전 총리가 사망했다.", "아베 신조"),
    ("새 총리는 누구야?", "다카이치 사나에 총리가 취임했다.", "다카이치 사나에"),
    # a Japanese name whose first word could be a Korean name ("기시다")
    ("일본 총리는 누구야?", "기시다 후미오 일본 총리가 방한했다.", "기시다 후미오"),
    ("일본 총리는 누구야?", "기시다 후미오 전 총리는 그렇게 말했다.", "기시다 후미오"),
    # a Korean name is one word: what follows it is the company, even before a country
    ("리벨리온 대표는 누구야?", "박성현 리벨리온 대표는 그렇게 말했다.", "박성현"),
    ("일본 대표는 누구야?", "박성현 리벨리온 일본 대표는 그렇게 말했다.", "박성현"),
    ("SK 회장은 누구야?", "최태원 SK 회장은 그렇게 말했다.", "최태원"),
])
def test_a_foreign_name_before_its_title_is_whole(question, sentence, person):
    span = answers.best_span(question, sentence, answers.question_type(question))
    assert span is not None and sentence[span[0]:span[1]] == person


@pytest.mark.parametrize("question, kind", [
    # who a named person is: the answer describes them, it is no other person's name
    ("하정우 수석은 누구야?", None),
    ("박성현은 누구야?", None),
    ("도널드 트럼프는 누구야?", None),
    ("손정의 소프트뱅크 회장은 누구인가?", None),
    # who holds an office, or who did something: a person
    ("리벨리온 대표는 누구야?", answers.PERSON),
    ("일본 총리는 누구야?", answers.PERSON),
    ("국무회의 의장은 누구야?", answers.PERSON),
    ("박성현 대표와 만난 사람은 누구야?", answers.PERSON),
])
def test_who_a_named_person_is_asks_for_no_name(question, kind):
    assert answers.question_type(question) == kind


def test_a_country_before_a_title_is_no_person():
    for sentence in ("미국 대통령은 관세를 발표했다.", "러시아 대통령이 방한했다.", "일본 총리와 만났다."):
        assert not [s for s in answers.sentence_spans(sentence)
                    if s.kind == answers.PERSON and sentence[s.start:s.end] not in ("대통령",)], sentence


@pytest.mark.parametrize("sentence, place", [
    ("빠른 속도로 시장에 진입했다.", None),  # 속도 ends in 도 but is no province
    ("인력 양성에 나섰다.", None),
    ("대기업의 요구에 맞췄다.", None),
    ("그는 경기도에 공장을 세웠다.", "경기도"),
    ("배는 부산항에 들어왔다.", "부산항"),
])
def test_a_place_suffix_needs_a_name_before_it(sentence, place):
    found = [sentence[s.start:s.end] for s in answers.sentence_spans(sentence) if s.kind == answers.PLACE]
    assert found == ([place] if place else [])


@pytest.mark.parametrize("question, sentence, phrase", [
    # a Latin name glued to the one before it is one place
    ("트럼프 대통령은 어디서 만나?", "이 대통령은 미국 워싱턴DC에서 트럼프 대통령과 만날 예정이다.", "워싱턴DC"),
    # a place noun with the name it belongs to, one space before
    ("우븐 시티는 어디에 짓고 있어?", "도요타가 후지산 기슭에 조성 중인 우븐 시티는 미래 도시다.", "후지산 기슭"),
    # the question names the mountain: the place noun alone still answers
    ("후지산 어디에 짓고 있어?", "도요타가 후지산 기슭에 조성 중인 우븐 시티는 미래 도시다.", "기슭"),
])
def test_a_place_takes_the_name_it_belongs_to(question, sentence, phrase):
    span = answers.best_span(question, sentence)
    assert span and sentence[span[0]:span[1]] == phrase


@pytest.mark.parametrize("sentence, people", [
    ("세종은 김종서를 보내 6진을 개척하게 하였다.", ["김종서"]),  # a name with no title
    ("1419년에는 이종무가 쓰시마를 정벌하였다.", ["이종무"]),
    ("아버지는 소설가 한승원이다.", ["한승원"]),  # a name after an occupation
    ("맏아들 문종이 뒤를 이었다.", ["문종"]),
    ("그는 서울대와 고려대를 졸업했다.", []),  # universities, not people
    # a name right after its title, a foreign one whole ("딘 애치슨"), not a company after a market
    ("같은 해 4월 미국 대통령 해리 트루먼은 맥아더를 해임하였다.", ["해리 트루먼"]),
    ("1950년 1월 미국 국무장관 딘 애치슨이 발표하였다.", ["딘 애치슨"]),
    ("반도체 시장 삼성전자가 1위를 지켰다.", []),
    # a name Kiwi breaks into its syllables, not a group
    ("1849년 홍석모가 한 해의 풍속을 정리하였다.", ["홍석모"]),
    ("환자들은 저용량군, 위약군에 배정됐다.", []),
    # a foreign name of two words after a country's genitive
    ("100m 결승에서 캐나다의 벤 존슨이 우승했다.", ["벤 존슨"]),
    ("개최국 러시아의 아델리나 소트니코바에게 5.48점 뒤졌다.", ["아델리나 소트니코바"]),
])
def test_a_name_without_a_title_is_a_person(sentence, people):
    assert [sentence[s.start:s.end] for s in answers.sentence_spans(sentence) if s.kind == answers.PERSON] == people


def test_a_share_is_no_duration_and_an_article_answers_how_many_articles():
    text = "③의원을 제명하려면 국회재적의원 3분의 2 이상의 찬성이 있어야 한다."
    a, b = answers.best_span("국회의원을 제명하려면 몇 명이 찬성해야 해?", text)
    assert text[a:b] == "3분의 2"
    assert not answers.has_answer_shape("회담은 몇 분 동안 했어?", text)  # not three minutes
    text = "제14조 모든 국민은 거주·이전의 자유를 가진다."
    a, b = answers.best_span("거주 이전의 자유는 헌법 몇 조야?", text)
    assert text[a:b] == "제14조"
    # "몇 호" asks a number in a series too ("칙령 제41호"); a number without it is none
    text = "1900년 10월 25일 대한제국은 칙령 제41호를 반포하여 울릉도를 울도군으로 승격하였다."
    a, b = answers.best_span("울릉도를 군으로 올릴 때 내린 칙령은 몇 호인가?", text)
    assert text[a:b] == "제41호"


@pytest.mark.parametrize("question, sentence, name", [
    ("세종의 이름은 무엇인가?", "이름은 이도이며, 태종과 원경왕후 사이에서 태어났다.", "이도"),  # not 태종
    ("이순신의 시호는?", "그의 시호는 충무공이다.", "충무공"),
])
def test_a_naming_noun_names_its_complement(question, sentence, name):
    a, b = answers.best_span(question, sentence)
    assert sentence[a:b] == name


@pytest.mark.parametrize("question,sentence,shaped", [
    ("소니 벤처펀드의 수익률은 얼마야?", "소니는 2016년 약 100억 엔 규모의 벤처펀드를 조성했다.", False),
    ("일본 AI 시장 성장률은 얼마야?", "일본 AI 시장 규모는 매년 23.2%씩 성장해 2027년에 1조 엔에 이른다.", True),
    ("일본 AI 시장 규모는 얼마야?", "일본 AI 시장 규모는 2027년에 약 1조1천35억 엔에 도달할 것이다.", True),
    ("성장률이 가장 높았던 해는 언제야?", "2021년에 가장 높았다.", True),  # a date question keeps its shape
])
def test_a_rate_asks_for_a_percentage(question, sentence, shaped):
    assert answers.has_answer_shape(question, sentence) is shaped


def highlighted(question: str, sentence: str) -> str | None:
    span = answers.best_span(question, sentence)
    return None if span is None else sentence[span[0]:span[1]]


@pytest.mark.parametrize("question,sentence,phrase", [
    # numbers in letters: native ("세 차례", "열 명", "두 달") and Sino-Korean ("십여 년")
    ("회담은 몇 차례 열렸나?", "양국 정상은 올해 세 차례 회담했다.", "세 차례"),
    ("몇 명이 숨졌어?", "이 사고로 열 명이 숨졌다.", "열 명"),
    ("공사는 얼마 동안 걸렸어?", "공사는 두 달 만에 끝났다.", "두 달"),
    ("행사는 몇 시간 동안 이어졌어?", "행사는 세 시간 동안 이어졌다.", "세 시간 동안"),
    # "about N": "100여 명", "20여 개국"
    ("직원은 몇 명이야?", "현지 법인에는 직원 100여 명이 일한다.", "100여 명"),
    ("몇 개국이 참여했어?", "이번 회의에는 20여 개국이 참여했다.", "20여 개국"),
    # a point counted from now answers "언제"
    ("일본계 자본은 언제부터 투자해 왔어?", "일본계 자본은 십여 년 전부터 글로벌 AI 스타트업에 투자해 왔다.", "십여 년 전"),
    # a deadline: "60일 이내"
    ("국회는 개정안을 언제까지 의결해야 해?", "국회는 개정안이 공고된 날로부터 60일 이내에 의결하여야 한다.", "60일 이내"),
    # "몇 번" is answered by "1회"
    ("국회 정기회는 일 년에 몇 번 열려?", "국회의 정기회는 법률이 정하는 바에 의하여 매년 1회 집회된다.", "1회"),
    # a dated phrase is preferred to one counted from now
    ("입주는 언제 시작돼?", "내년부터 입주를 시작하는데, 이는 약 10여 년 전부터 구상된 계획이다.", "내년"),
    # "언제 몇 살의 나이로 …?" asks the date first: the age's unit does not hold the date to it
    ("유관순은 언제 몇 살의 나이로 옥중에서 세상을 떠났나?",
     "유관순은 고문을 당한 끝에 1920년 9월 28일 17세의 나이로 숨을 거두었다.", "1920년 9월 28일"),
    # "몇 번째" asks a place in an order: "세 번째" or a rank
    ("비빔밥은 맛있는 음식 50선에서 몇 번째였나?", "맛있는 음식 50가지 목록에서 비빔밥은 40위에 올랐다.", "40위"),
    ("D램 개발은 세계에서 몇 번째였나?", "이는 미국과 일본에 이어 세계에서 세 번째였다.", "세 번"),
    # what something cost is money: "77명" is no answer, "429억 원" is
    ("고속도로를 놓는 데 모두 얼마가 들었나?", "전체 공사비는 약 429억 원으로 국가 예산의 23.6%에 이르렀다.", "429억 원"),
    ("고속도로를 놓는 데 모두 얼마가 들었나?", "건설 과정에서 모두 77명의 노동자와 군인이 목숨을 잃었다.", None),
    # the particle on the question word is the answer's: "어디로" ... "일본으로", not "미국에"
    ("올거나이즈는 어디로 본사를 옮겼어?", "올거나이즈는 미국에 있던 본사를 일본으로 옮겼다.", "일본"),
    ("회담은 어디에서 열렸어?", "정상들은 도쿄에 도착한 뒤 오사카에서 회담했다.", "오사카"),
    # bulleted items make a list: the last one ends with its nouns ("▲모빌테크 등 14개사가")
    ("협의회에 들어간 기업은 어디어디야?", "이번 협의회에는 ▲에브리존 ▲블루문소프트 ▲퓨리오사에이아이 ▲모빌테크 등 14개사가 참여했다.",
     "에브리존 ▲블루문소프트 ▲퓨리오사에이아이 ▲모빌테크"),
    # a name the question writes itself, quotes aside, is not its answer
    ("KOSA 일본 진출 협의회 발족식은 어디서 열렸어?", "협회는 최근 '일본 진출 협의회' 발족식을 열었다.", None),
    # where an event was held asks a venue, not the organisation that held it
    ("기념식은 어디서 열렸어?", "한국공항공사는 지난 12일 기념식을 열고 승객에게 기념품을 전달했다.", None),
    ("기념식은 어디서 열렸어?", "한국공항공사는 지난 12일 김포공항에서 기념식을 열었다.", "김포공항"),
    ("이 사업은 어디가 맡아?", "한국공항공사가 사업을 맡는다.", "한국공항공사"),
    # an age asked is given in brackets after the name, alone or before an affiliation
    ("수술이 미뤄진 환자는 몇 살이야?", "위암 수술을 앞둔 정해숙(67)씨는 수술이 두 번 미뤄졌다.", "67"),
    ("우승자는 몇 살이야?", "박소율(29·삼성전자)이 우승했다.", "29"),
    ("몇 명이 다쳤어?", "정해숙(67)씨 등 3명이 다쳤다.", "3명"),
    # a name Kiwi breaks in two (박 + 정훈), with the age news gives in brackets, is a person
    ("화재를 처음 신고한 사람은 누구야?", "최초 신고는 선장 박정훈(54)씨가 무선으로 했다.", "박정훈"),
    ("화재를 처음 신고한 사람은 누구야?", "최초 신고는 선장이 무선으로 했다.", None),
])
def test_more_answer_phrases(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # "몇 주째" counts weeks: "48주", not the rise of "0.14%"
    ("아파트 전셋값은 몇 주째 오르고 있어?", "아파트 전셋값은 전주보다 0.14% 올라 48주 연속 상승했다.", "48주"),
    ("아파트 전셋값은 몇 주째 오르고 있어?", "아파트 전셋값은 지난 3개월 동안 0.14% 올랐다.", None),
    # "며칠이 걸렸나?" counts days: "49년 만에" is no answer
    ("제철소가 공정을 되살리기까지 며칠이 걸렸나?", "제철소는 1973년 가동 이후 49년 만에 처음으로 멈추었다.", None),
    ("제철소가 공정을 되살리기까지 며칠이 걸렸나?", "회사는 135일 만인 2023년 1월 19일 정상화를 선언했다.", "135일"),
    # "나온 날은 언제인가?", "점령한 날짜는?" ask a day: a year alone does not give it
    ("제철소에서 처음 쇳물이 나온 날은 언제인가?", "제철소는 1973년 첫 쇳물 생산 이후 처음으로 멈추었다.", None),
    ("제철소에서 처음 쇳물이 나온 날은 언제인가?", "1기 설비는 1973년 6월 9일 첫 쇳물을 생산하였다.", "1973년 6월 9일"),
    ("적군이 수도를 차지한 날짜는 언제인가?", "적군은 상륙한 지 20일 만인 5월 3일 수도를 점령하였다.", "5월 3일"),
    ("적군이 수도를 차지한 날짜는 언제인가?", "1593년 적군은 다시 수도로 들어왔다.", None),
    # "몇 년부터" asks a year, as "언제부터" does: "2013년부터", not a count of years
    ("한글날이 다시 쉬는 날이 된 건 몇 년부터야?", "한글날은 2013년부터 다시 공휴일이 되었다.", "2013년"),
    # "관중이 얼마나 왔어?" counts people: "5,812명", not the rise of "18%"
    ("결승전에 관중이 얼마나 왔어?", "이날 경기장에는 5,812명의 관중이 입장했다.", "5,812명"),
    ("결승전에 관중이 얼마나 왔어?", "누적 관중은 지난 시즌보다 18% 늘었다.", None),
    # "8일 넘겨" counts days past a deadline; "12월 2일" is the deadline, a day
    ("예산안 처리가 법정 기한보다 며칠 늦었어?", "예산안은 법정 처리 시한인 12월 2일을 8일 넘겨 본회의를 통과했다.", "8일"),
    ("예산안 처리가 법정 기한보다 며칠 늦었어?", "예산안은 12월 2일 본회의를 통과했다.", None),
    # "얼마나 지났어?" asks a length of time, not an amount
    ("낡은 배관은 교체 시기를 얼마나 지났어?", "배관은 교체 주기인 20년을 3년 넘긴 상태였다.", "20년"),
])
def test_a_day_or_a_week_asked_is_counted_in_its_unit(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # the day the news was told ("25일 업계에 따르면") is not the day of the meeting
    ("이 대통령은 언제 이시바 총리를 만났나?",
     "25일 업계에 따르면 이 대통령은 지난 23일 일본 도쿄에서 이시바 시게루 일본 총리와 회담을 가졌다.", "지난 23일"),
    # nor the day a source spoke ("2일 “…"), even against a vague date of the event
    ("리벨리온은 언제 도쿄 법인을 세웠어?",
     "박성현 리벨리온 대표는 2일 “시장이 빠르다”며 지난달 도쿄 법인을 세웠다고 설명했다.", "지난달"),
    # unless the telling is what is asked about
    ("박성현 대표는 언제 그렇게 말했어?",
     "박성현 리벨리온 대표는 2일 “시장이 빠르다”며 지난달 도쿄 법인을 세웠다고 설명했다.", "2일"),
    # a lone date stays the answer
    ("보고서는 언제 나왔어?", "한국경제연구원은 2일 보고서를 냈다고 밝혔다.", "2일"),
])
def test_the_day_a_source_spoke_is_not_the_event_s(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


def test_one_in_a_phrase_is_no_count():
    # "한 관계자" is "an official", not a count of one
    assert not answers.has_answer_shape("몇 명이 참석했어?", "업계의 한 관계자는 참석이 늘었다고 말했다.")


@pytest.mark.parametrize("question,sentence,phrase", [
    # the question glues the name the sentence spaces: neither piece is an answer
    ("우븐시티는 어디에 있어?", "우븐 시티는 미래형 스마트 도시 실험 공간이다.", None),
    ("우븐시티는 어디에 있어?", "도요타가 후지산 기슭에 조성 중인 ‘우븐 시티’는 미래 도시다.", "후지산 기슭"),
    # a place inside another word of the question, but not spaced out of it, still answers
    ("도쿄대는 어디에 있어?", "도쿄대는 도쿄에 있다.", "도쿄"),
])
def test_a_name_the_question_glues_is_not_its_answer(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


def test_a_name_the_question_states_is_not_its_answer():
    # Kiwi does not know "리벨리온" and tags it a common noun; it is still the question's own subject
    sentence = "AI 반도체 스타트업 리벨리온이 최근 일본 도쿄에 첫 해외법인을 설립했다."
    phrases = [sentence[s.start:s.end] for s in answers.answer_spans("리벨리온은 어디에 법인을 세웠어?", sentence)]
    assert "리벨리온" not in phrases and "일본 도쿄" in phrases


def test_what_a_company_is_regarded_as_is_no_name():
    assert answers.question_type("리벨리온은 어떤 회사로 꼽혀?") is None
    assert answers.question_type("어떤 회사가 투자했어?") == answers.NAME


@pytest.mark.parametrize("question,sentence,phrase", [
    ("훈민정음을 창제한 왕은 누구인가?", "1443년 세종은 백성이 쉽게 배워 쓸 수 있는 훈민정음을 창제하였다.", "세종"),
    ("수군을 이끈 사람은 누구인가?", "1597년 원균이 이끈 조선 수군이 칠천량 해전에서 크게 패하였다.", "원균"),
    ("영어로 번역한 사람은 누구야?", "이 작품은 데버라 스미스가 영어로 번역하였다.", "데버라 스미스"),
    # the one something came from answers "누가 댔어?"
    ("창업 자금은 누가 댔어?", "OpenAI사는 일론 머스크로부터 초기 창업 자금을 받았고 나중에는 MS로부터 거액의 자금을 수혈했다.",
     "일론 머스크"),
])
def test_a_who_question_highlights_a_subject_name_without_a_title(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase
    # highlight only: such a name does not count as the person shape for ranking
    assert not answers.has_answer_shape(question, sentence)


@pytest.mark.parametrize("question, kind", [
    ("올거나이즈 매출 중 일본 비중은?", answers.AMOUNT),  # a rate at the end asks for a percentage
    ("실업률은?", answers.AMOUNT),
    ("효율은?", None),  # 효율 ends like a rate and is none
])
def test_a_question_ending_on_a_rate_asks_for_a_percentage(question, kind):
    assert answers.question_type(question) == kind
    if kind:
        assert "%" in (answers.question_unit(question, kind) or ())


def test_the_stretch_between_two_quotations_is_no_name():
    s = '그는 "일본은 정부 차원의 대규모 투자로 한국 기업에 새로운 기회가 열리고 있다"며 "협의회를 통해 돕겠다"고 말했다.'
    assert '"며 "' not in [s[x.start:x.end] for x in answers.sentence_spans(s)]
    s = "실용 AI기업 '무하유'도 일본 법인을 세운다."
    assert "'무하유'" in [s[x.start:x.end] for x in answers.sentence_spans(s) if x.kind == answers.NAME]


@pytest.mark.parametrize("question, kind", [
    ("라피더스는 어떤 회사야?", None),  # what kind of company: a description
    ("리벨리온은 어떤 회사인가?", None),
    ("어떤 회사가 투자했어?", answers.NAME),  # which company: a name
    ("어떤 기업이 참여했나?", answers.NAME),
])
def test_what_kind_of_company_asks_for_a_description(question, kind):
    assert answers.question_type(question) == kind


@pytest.mark.parametrize("question, focus", [
    ("UAE 파견 부대의 예산은 얼마야?", "예산"),
    ("업스테이지 대표는 누구인가?", "대표"),
    ("대통령 임기는 몇 년이야?", "임기"),
    ("참석한 사람은 누구야?", None),  # names the kind of answer: the answer stands in its place
    ("일본이 금융위기를 겪은 시기는 언제야?", None),
    ("청해부대 파견 기간은 언제까지야?", "파견"),  # the noun before the answer's kind
    ("간호사 면허 시험 합격률은 몇 퍼센트야?", "합격률"),  # a noun with its suffix
    ("연구선 아라온호의 크기는 몇 톤인가?", None),  # a measure names the kind of answer
    ("엔비디아 CEO는 누구야?", "CEO"),  # a title in Latin letters
    ("일본 AI 법의 정식 명칭은?", None),  # no question word: no focus
    ("일본은 어디에 법인을 세웠어?", None),  # only a common noun is a focus
    ("리벨리온은 어디에 법인을 세웠어?", "리벨리온"),  # Kiwi reads a name it does not know as a common noun
    ("왜 일본으로 가나?", None),
    # the essence, the core, the background of something name the kind of answer too
    ("일본이 겪는 문제의 본질은 뭐야?", None),
    ("정부 대책의 핵심은 무엇인가?", None),
    ("두 회사의 차이점은 뭐야?", None),
    ("AI 반도체 투자 배경은 뭐야?", "투자"),
    # money is the kind of answer: "조달한 금액은 1조 7,200억 엔" answers without saying "자금"
    ("라피더스가 실제로 확보한 자금은 얼마나 돼?", None),
    ("OpenAI의 초기 창업 자금은 누가 댔어?", "창업"),
    # so it is without its particle: "87억원이 들었다" answers, though it never says 돈
    ("위성 만드는 데 돈 얼마나 들었어?", None),
    ("새 청사 짓는 공사 비용 얼마야?", "공사"),
    ("이적료 얼마야?", "이적료"),
    # an adverb, or 총, between the sum and 얼마 leaves the sum the focus
    ("시내버스 기본요금 지금 얼마야?", "기본요금"),
    ("이적료 총 얼마야?", "이적료"),
])
def test_the_focus_is_what_a_question_asks_about(question, focus):
    assert answers.question_focus(question) == focus


@pytest.mark.parametrize("question, phrase", [
    ("2027년 일본 AI 시장 규모를 얼마로 예상했어?", "1조1천35억 엔"),  # a size: not the growth rate beside it
    ("일본 AI 시장 성장률은?", "23.2%"),  # a rate: the percentage
    ("2027년 시장 규모는 몇 % 커져?", "23.2%"),  # a size asked in percent
])
def test_a_size_is_answered_by_an_amount_not_a_percentage(question, phrase):
    sentence = "일본 AI 시장 규모는 매년 23.2%씩 성장해 오는 2027년에는 약 1조1천35억 엔에 달할 것으로 전망된다."
    assert highlighted(question, sentence) == phrase


def test_a_sum_named_by_its_kind_is_money():
    # "피해액" and "이적료" are sums of money: a count of reports or a percentage answers neither
    assert not answers.has_answer_shape("영덕 지진 재산피해액 총 얼마임?", "재산 피해 신고는 모두 412건 접수됐다.")
    assert not answers.has_answer_shape("이준서 이적료 얼마임", "이적료의 15%를 받는 조항도 계약서에 넣었다.")
    assert highlighted("이준서 이적료 얼마임", "이적료는 기본 1,600만 유로(약 250억 원)다.") == "1,600만 유로(약 250억 원)"
    # a liquid is no sum ("혈액")
    assert not answers._MONEY_WORD.search("헌혈로 모인 혈액은 얼마나 돼?")


def test_money_is_answered_by_money():
    # "자금은 얼마나 돼?" asks for money: a size in nanometres or a count of companies is no answer
    q = "라피더스가 실제로 확보한 자금은 얼마나 돼?"
    assert not answers.has_answer_shape(q, "일본이 2나노미터 칩 대량 생산을 위해 출범시킨 라피더스 프로젝트다.")
    assert highlighted(q, "실제 조달한 금액은 1조 7,200억 엔(약 16조원)에 불과하다.") == "1조 7,200억 엔(약 16조원)"
    # the size of a support or an investment is money too
    assert not answers.has_answer_shape("일본 정부 AI 반도체 지원 규모는?",
                                        "일본이 2나노미터 칩 대량 생산을 위해 출범시킨 라피더스 프로젝트다.")
    # a size that is not money still takes a count
    assert highlighted("협의회 규모는 얼마나 돼?", "협의회에는 14개 기업이 참여했다.") == "14개"


def test_proper_names_are_the_questions_names_and_latin_words():
    assert answers.proper_names("올거나이즈는 JETRO와 어디에 법인을 세웠어?") >= {"jetro"}
    assert answers.proper_names("일본은 AI에 얼마를 쓰나?") == frozenset({"일본", "ai"})
    assert answers.proper_names("시장 규모는 얼마야?") == frozenset()


SONY_AND_TOYOTA = ("소니는 2016년 약 100억 엔 규모의 벤처펀드를 조성해 로봇과 AI 분야 14개 스타트업에 투자했고, "
                   "도요타 연구소 역시 2017년 1억 달러 규모의 펀드를 조성했다.")


@pytest.mark.parametrize("question,switch,sentence,phrase", [
    # a follow-up about another entity is not answered by the previous one's figure
    ("도요타 연구소는 몇 개 스타트업에 투자했어?", answers.Switch("소니", "도요타연구소"), SONY_AND_TOYOTA, None),
    ("도요타 연구소는 얼마 규모의 펀드를 만들었어?", answers.Switch("소니", "도요타연구소"), SONY_AND_TOYOTA,
     "1억 달러"),
    # without the switch, the count is there to be highlighted
    ("도요타 연구소는 몇 개 스타트업에 투자했어?", None, SONY_AND_TOYOTA, "14개"),
    ("한국은 AI에 얼마를 쓰나?", answers.Switch("일본", "한국"), "일본은 10조엔, 한국은 1조원을 쓴다.", "1조원"),
])
def test_a_follow_up_about_another_entity_skips_the_previous_ones_phrase(question, switch, sentence, phrase):
    span = answers.best_span(question, sentence, switch=switch)
    assert (None if span is None else sentence[span[0]:span[1]]) == phrase
    assert answers.has_answer_shape(question, sentence, switch=switch) == (phrase is not None)


@pytest.mark.parametrize("question,kind", [
    # a question ending on a sum of money asks for an amount
    ("라피더스가 실제로 모은 돈은?", answers.AMOUNT),
    ("삼성전자 매출은?", answers.AMOUNT),
    ("라피더스 사업비는?", answers.AMOUNT),
    # unless it asks why or where
    ("돈이 왜 필요해?", answers.REASON),
    ("자금은 어디서 나와?", answers.PLACE),
])
def test_a_question_ending_on_money_asks_for_an_amount(question, kind):
    assert answers.question_type(question) == kind


@pytest.mark.parametrize("question,sentence,phrase", [
    # money is asked for by 사업비 alone, with no 규모 beside it: a size in nanometres is no answer
    ("라피더스 사업비는 총 얼마로 잡혔어?", "일본이 2나노미터 칩 생산을 위해 세운 라피더스 프로젝트다.", None),
    ("라피더스 사업비는 총 얼마로 잡혔어?", "총비용이 5조 엔으로 산정됐지만 실제 조달한 금액은 적다.", "5조 엔"),
])
def test_a_sum_of_money_is_answered_in_a_currency(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


def test_a_name_kiwi_splits_in_the_question_is_still_the_questions_own():
    # Kiwi reads the question's "스타게이트" as "스타" + "게이트"; the quoted name in the sentence is still its own
    sentence = "소프트뱅크는 오라클 등이 참여한 미국 AI 인프라 합작 프로젝트 ‘스타게이트’에도 이름을 올렸다."
    phrases = [sentence[s.start:s.end] for s in answers.answer_spans("스타게이트에는 어떤 회사들이 참여했어?", sentence)]
    assert "오라클" in phrases and not any("스타게이트" in p for p in phrases)


@pytest.mark.parametrize("question,sentence,phrase", [
    # "어디에 투자했어?" asks where the money went, not who invested
    ("도요타 연구소 펀드는 어디에 투자했어?", SONY_AND_TOYOTA, None),
    ("리벨리온은 어디에 법인을 세웠어?", "AI 반도체 스타트업 리벨리온이 최근 일본 도쿄에 첫 해외법인을 설립했다.", "일본 도쿄"),
    ("법인은 어디에 있어?", "일본은 도쿄에 법인이 있다.", "도쿄"),
])
def test_where_to_is_not_answered_by_a_subject(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,shaped", [
    # a sentence of other years only answers another question
    ("2021년 투자액은 얼마야?", "2023년 기준 투자액은 2318억원에 그쳤다.", False),
    ("2021년 투자액은 얼마야?", "2021년 9895억원이던 투자액은 2023년 2318억원에 그쳤다.", True),
    # a sentence with no year may still answer
    ("2021년 투자액은 얼마야?", "투자액은 9895억원이었다.", True),
    ("2027년 일본 AI 시장 규모 전망은?", "시장은 2030년까지 약 1조7천774억 엔 규모로 확대될 것으로 전망됐다.", False),
])
def test_a_question_about_a_year_is_not_answered_by_other_years(question, sentence, shaped):
    assert answers.has_answer_shape(question, sentence) == shaped


@pytest.mark.parametrize("question,kind", [
    # a title's name is a person's
    ("리벨리온 대표 이름 알려줘", answers.PERSON),
    ("일본 총리 이름은?", answers.PERSON),
    ("이시바 총리의 성함은?", answers.PERSON),
    ("그 사람 이름이 뭐야?", answers.PERSON),
    # a thing's name is not
    ("회사 이름은?", answers.NAME),
    ("펀드 이름은?", answers.NAME),
    ("소프트뱅크가 이름 올린 미국 AI 인프라 합작 프로젝트 이름이 뭐야?", answers.NAME),
])
def test_the_name_of_a_title_asks_for_a_person(question, kind):
    assert answers.question_type(question) == kind


def test_the_name_of_a_title_is_a_whole_name():
    sentence = "이 대통령은 지난 23일 일본 도쿄에서 이시바 시게루 일본 총리와 한일정상회담을 가졌다."
    assert highlighted("일본 총리 이름은?", sentence) == "이시바 시게루"


@pytest.mark.parametrize("question,sentence,phrase", [
    # what the sentence denies is no answer, nor are the items listed before it
    ("지금 가장 잘나가는 테크 기업은?", "현재 가장 잘 나가는 테크 기업은 애플도 아니고, 구글, MS, 메타도 아니고 트위터는 더더욱 아니다.", None),
    ("어느 회사가 1위야?", "1위는 삼성전자가 아니라 SK하이닉스다.", "SK하이닉스"),
    ("누가 왔어?", "김철수 대표가 아닌 이영희 부사장이 왔다.", "이영희"),
    # "뿐 아니라" adds, it does not deny; a denial later in the clause is about another word
    ("어느 회사가 1위야?", "1위는 삼성전자뿐 아니라 SK하이닉스다.", "삼성전자"),
    ("누가 말했어?", "김철수 대표는 돈이 아니라 시간이 없다고 말했다.", "김철수"),
])
def test_a_denied_phrase_is_not_the_answer(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # the name the question's verb modifies: "공급하는 회사" is answered by "공급하는 SK하이닉스"
    ("HBM을 공급하는 회사는 어디야?",
     "엔비디아의 GPU 수요폭증에 따라 GPU에 쓰이는 HBM(고대역폭메모리)를 공급하는 SK하이닉스와 삼성 전자의 수혜도 크다.",
     "SK하이닉스"),
    ("스타게이트에 참여한 기업은?", "최근에는 오픈AI와 오라클 등이 참여한 미국 AI 인프라 합작 프로젝트 ‘스타게이트’에도 이름을 올렸다.",
     "오라클"),
])
def test_the_name_the_questions_verb_modifies_is_the_answer(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # measures, in Latin letters or in words, and the question naming its unit
    ("한라산은 해발 몇 미터인가?", "섬 중앙에는 높이 1,947m의 한라산이 솟아 있다.", "1,947m"),
    ("제주올레 길을 모두 합치면 몇 km인가?", "제주올레는 현재 27개 코스, 총 길이 약 437km에 이른다.", "437km"),
    ("태풍의 눈은 지름이 대략 얼마나 되는가?", "태풍의 중심에는 지름 20~50km 정도의 '태풍의 눈'이 있다.", "20~50km"),
    ("길이는 몇 미터야?", "총 길이 약 437km에 이른다.", None),  # "m" is no part of "km"
    # a series' episodes
    ("드라마는 몇 회로 방영되었나?", "2016년에는 KBS 대하드라마 《장영실》이 24부작으로 방영되었다.", "24부작"),
    # a counter of the question's own, and a number in words it states itself
    ("열두 마당 가운데 오늘날까지 소리로 전하는 판소리는 몇 마당인가?",
     "원래 판소리는 열두 마당이 있었으나 오늘날에는 춘향가, 심청가의 다섯 마당만 소리로 전해진다.", "다섯 마당"),
    ("나무는 몇 그루야?", "공원에는 소나무 300그루가 있다.", "300그루"),
])
def test_measures_and_counters_of_any_kind(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


def test_a_name_read_with_its_genitive_loses_it():
    sentence = "기존의 네 시·군이 제주시와 서귀포시의 두 행정시로 통합되었다."
    phrases = [sentence[s.start:s.end] for s in answers.sentence_spans(sentence)]
    assert "서귀포시" in phrases and "서귀포시의" not in phrases
    # a three-syllable name may end in 의
    assert highlighted("소프트뱅크그룹 회장은 누구야?", "손정의 소프트뱅크그룹 회장이 공언했다.") == "손정의"


@pytest.mark.parametrize("question,sentence,phrase", [
    # a person is no place
    ("판소리 사설을 정리한 신재효는 어디 사람인가?",
     "조선 후기 전라북도 고창 출신의 신재효는 판소리 사설을 정리하고 진채선 같은 여성 소리꾼을 길러 냈다.", "고창"),
    # profit is money: an area is no answer
    ("현대자동차의 2023년 영업이익은 얼마인가?", "울산공장은 약 500만 m²의 부지에 5개의 독립 공장을 갖추고 있다.", None),
    ("수익률은 얼마야?", "수익률은 12%였다.", "12%"),
])
def test_a_place_is_no_person_and_profit_is_money(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


RAPIDUS = "총비용이 5조 엔(약 47조원)으로 산정됐지만 실제 조달한 금액은 1조 7,200억 엔(약 16조원)에 불과하다."


@pytest.mark.parametrize("question,sentence,phrase", [
    # the question's word in the phrase's own clause, not across a clause end ("산정됐지만")
    ("라피더스가 실제로 확보한 자금은 얼마나 돼?", RAPIDUS, "1조 7,200억 엔(약 16조원)"),
    ("라피더스 총비용은?", RAPIDUS, "5조 엔(약 47조원)"),
    ("국무회의 의장은 누구야?", "③대통령은 국무회의의 의장이 되고, 국무총리는 부의장이 된다.", "대통령"),
    # the value a market reaches, not its growth rate
    ("JETRO는 2027년 일본 AI 시장이 얼마가 될 거라고 봤어?",
     "일본 AI 시장 규모는 매년 23.2%씩 성장해 오는 2027년에는 약 1조1천35억 엔에 도달할 것으로 예상했다.", "1조1천35억 엔"),
    ("일본 AI 시장은 해마다 얼마나 커져?",
     "일본 AI 시장 규모는 매년 23.2%씩 성장해 오는 2027년에는 약 1조1천35억 엔에 도달할 것으로 예상했다.", "23.2%"),
])
def test_the_phrase_in_the_clause_of_the_questions_words(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


def test_a_company_that_looks_like_a_person_stays():
    # "오라클" opens with a surname and has three syllables, as a Korean name does
    sentence = "최근에는 오픈AI와 오라클 등이 참여한 미국 AI 인프라 합작 프로젝트에 이름을 올렸다."
    assert highlighted("그 프로젝트에 참여한 회사는 어디야?", sentence) == "오라클"


@pytest.mark.parametrize("question,phrase", [
    ("일본 부동산 버블은 언제 터졌어?", "1990년대 초반"),
    ("일본 금융위기는 언제였어?", "1990년대 후반"),
])
def test_a_decade_keeps_its_part(question, phrase):
    assert highlighted(question, "일본은 1990년대 초반 부동산 버블 붕괴와 1990년대 후반 금융위기를 거쳤다.") == phrase
    assert not answers.sentence_spans("경기 초반에 골이 나왔다.")  # alone, 초반 is no date


@pytest.mark.parametrize("question,asks", [
    ("업스테이지 대표는 누구인가?", True),
    ("리벨리온 대표는 누구야?", True),
    ("서울시장은 누구야?", True),
    # then as now: "누구였어?", "누구였나요?"
    ("그때 위원회 위원장은 누구였어?", True),
    ("당시 회장은 누구였습니까?", True),
    ("리벨리온 대표는 누군가요?", True),
    # a titled person who does something is not the holder asked for
    ("계엄을 선포하면 대통령은 누구에게 알려야 하나?", False),
    ("국가원로자문회의 의장은 누가 맡아?", False),
    ("박성현 대표는 누구야?", False),  # who a named person is
])
def test_a_title_holder_asked_for(question, asks):
    assert answers.asks_for_a_title_holder(question) == asks


@pytest.mark.parametrize("question,sentence,phrase", [
    # an institution Kiwi reads as common nouns, glued under a word that names one
    ("일본 AI 시장 성장 전망은 어느 기관이 내놨어?",
     "일본 AI 시장 규모는 매년 23.2%씩 성장해 오는 2027년에는 약 1조1천35억 엔에 도달할 것으로 "
     "일본무역진흥기구(JETRO)에서 예상했다.", "일본무역진흥기구"),
    ("발족식은 어느 단체가 열었어?", "한국인공지능·소프트웨어산업협회(KOSA)는 최근 발족식을 열었다.",
     "한국인공지능·소프트웨어산업협회"),
    # also when it opens right after a bracket
    ("주무 부처는 어느 기관이야?", "주무 부처(산업통상자원부)가 맡았다.", "산업통상자원부"),
])
def test_an_institutions_name_is_a_name(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


def test_people_listed_with_their_titles_are_a_list():
    question = "회의에 참석한 인사는 누구누구야?"
    assert answers.has_answer_shape(
        question, "이 자리에는 하정우 대통령실 AI미래기획수석과 마이클 크라치오스 백악관 실장 등이 참석했다.")
    assert not answers.has_answer_shape(question, "조준희 KOSA 회장은 협의회를 통해 지원하겠다고 말했다.")


@pytest.mark.parametrize("question,sentence,phrase", [
    # a two-syllable name only counts right before a title; a province before one is no name
    ("교육감은 누구야?", "정민 교육감은 새 학기 계획을 밝혔다.", "정민"),
    ("총재는 누가 맡았어?", "파월 총재는 금리를 동결했다.", "파월"),
    ("전북도지사는 누구야?", "김관영 전북도지사는 새만금 예산을 요청했다.", "김관영"),
])
def test_more_titles_name_their_holder(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


def test_a_spokesman_asked_for_is_no_focus():
    # the answer names the person by title ("김하은 사무처장"), not as 관계자
    assert answers.question_focus("계획에 의문을 제기한 시민단체 관계자는 누구야?") is None


@pytest.mark.parametrize("question,sentence,phrase", [
    # a value with no unit right after the noun asked about
    ("MVP의 타율은 얼마였어?", "5경기에서 타율 0.474(19타수 9안타)를 기록한 강태윤이 선정됐다.", "0.474"),
    # a measure the "몇 …" pattern does not list is the question's unit
    ("농작물 피해 면적은 몇 헥타르야?", "가축 91만2000마리가 폐사했고 농작물 피해 면적은 1만2000ha에 달했다.", "1만2000ha"),
    # a price is money
    ("약값은 한 달에 얼마야?", "환자 38%가 효과를 봤고, 약값은 한 달에 약 30만 원으로 책정됐다.", "30만 원"),
])
def test_values_measures_and_prices(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence", [
    ("농작물 피해 면적은 몇 헥타르나 돼?", "가금류 87만 마리와 돼지 4만2000마리 등 가축 91만2000마리가 폐사했다."),
    ("약값은 한 달에 얼마 정도 할 예정이야?", "HS-207 고용량군은 위약군 대비 악화 폭이 38% 작았다."),
])
def test_another_unit_is_no_answer(question, sentence):
    assert not answers.has_answer_shape(question, sentence)


@pytest.mark.parametrize("question,kind", [
    ("2상 임상에 참여한 환자 수는?", answers.COUNT),
    ("관객수가?", answers.COUNT),
    ("그 일을 할 수는 있어?", None),  # the 수 of "할 수" is no count
])
def test_a_question_ending_on_a_number_of_asks_a_count(question, kind):
    assert answers.question_type(question) == kind


@pytest.mark.parametrize("question,sentence,shaped", [
    ("1분기 영업이익은 얼마를 냈나요?", "영업이익은 지난해 4분기 영업손실 1260억 원에서 흑자로 전환했다.", False),
    ("1분기 영업이익은 얼마를 냈나요?", "올해 1분기 매출 6조1870억 원, 영업이익 2140억 원을 기록했다.", True),
    ("상반기 매출은 얼마야?", "하반기 매출은 3조 원으로 늘었다.", False),
])
def test_a_question_about_a_quarter_is_not_answered_by_other_quarters(question, sentence, shaped):
    assert answers.has_answer_shape(question, sentence) == shaped


def test_a_number_glued_to_a_noun_is_no_bare_value():
    # "임상 3상" is a phase, not the number of patients
    assert highlighted("2상 임상에 참여한 환자 수는?", "임상 3상 계획을 제출하고, 환자 1600명 규모의 3상을 진행한다.") == "1600명"


def test_a_question_about_a_sums_source_asks_where():
    assert answers.question_type("글로벌 VC 투자액 통계는 어디 자료야?") == answers.PLACE
    assert answers.question_type("2021년 글로벌 VC 국내 투자액은?") == answers.AMOUNT


@pytest.mark.parametrize("question,kind", [
    ("봉화 산불 피해 면적", answers.COUNT),
    ("다리 길이는?", answers.COUNT),
    ("면적이 넓은 나라는?", None),  # the measure describes; it is not what is asked
    ("축제 기간 사과 판매량", answers.COUNT),
    ("강수량은?", answers.COUNT),
    ("그 선수의 역량은?", None),  # a skill, not a quantity
    ("여자부 우승한 선수 알려줘", answers.PERSON),
    ("올해 당선자는?", answers.PERSON),
    ("국내 선수는 몇 명이야?", answers.COUNT),
    ("회수 대상 김밥 소비기한 알려줘", answers.DATE),
    ("새 휴대폰 출시일은?", answers.DATE),
])
def test_a_noun_that_names_what_is_asked_sets_its_shape(question, kind):
    assert answers.question_type(question) == kind


@pytest.mark.parametrize("question,sentence,phrase", [
    # an area is answered in an area's units, not by the sum paid out
    ("봉화 산불 피해 면적은 얼마야?", "산림청은 이번 산불로 산림 약 860ha가 불에 탄 것으로 잠정 집계했다.", "860ha"),
    ("봉화 산불 피해 면적은 얼마야?", "봉화군은 피해 주민에게 가구당 300만 원을 지급하기로 했다.", None),
    ("다리 길이가 얼마나 돼?", "다리는 길이 1.2km, 폭 30m로 지어졌다.", "1.2km"),
    # a deadline, or a period asked with 언제, from its first day to its last
    ("회수 대상 김밥 소비기한 알려줘", "소비기한이 내년 3월 2일부터 3월 20일까지로 표시된 제품이다.",
     "내년 3월 2일부터 3월 20일까지"),
    ("축제 기간이 언제였나요?", "청송군은 지난 9일부터 12일까지 나흘간 열린 축제에 23만 명이 다녀갔다고 14일 밝혔다.",
     "지난 9일부터 12일까지"),
])
def test_a_measure_or_a_period_is_answered_in_its_own_terms(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,phrase", [
    ("봉화 산불은 언제 났어?", None),  # the day the count was told is not the day of the fire
    ("산림청은 피해 집계를 언제 발표했어?", "17일"),
    ("산림청이 피해를 언제 밝혔어?", "17일"),
])
def test_the_day_a_source_spoke_alone_dates_only_the_telling(question, phrase):
    sentence = "산림청은 이번 산불로 산림 약 860ha가 불에 탄 것으로 잠정 집계했다고 17일 밝혔다."
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,unit", [
    ("봉화 산불 진화에 소방차는 몇 대 투입됐나요?", {"대"}),
    ("접수된 신고는 몇 건이야?", {"건"}),
    ("몇 대회 연속 우승이야?", {"대회"}),  # a tournament, not the counter 대
])
def test_the_counter_after_몇_is_the_unit_asked(question, unit):
    assert answers.question_unit(question, answers.question_type(question)) == frozenset(unit)


def test_a_score_is_no_count_of_machines():
    assert answers.question_unit("5차전은 몇 대 몇으로 끝났어?", answers.COUNT) is None


@pytest.mark.parametrize("question,sentence,phrase", [
    # news gives a person's age in brackets after the name, a foreign name's words included
    ("세종국제마라톤 남자부 우승자 누구야?", "케냐의 데니스 키프로노(27)가 지난 6일 열린 대회 남자부에서 우승했다.",
     "데니스 키프로노"),
    ("여자부 1위는 누구?", "여자부 1위는 2시간31분42초를 기록한 에티오피아의 메세렛 타데세(31·소속팀)가 차지했다.",
     "메세렛 타데세"),
    ("누가 가장 많았어?", "지역별 확진자는 서울(12명)과 부산(5명)이 가장 많았다.", None),  # counts, no ages
])
def test_a_name_with_its_age_in_brackets_is_a_person(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # a speed is written with its 속: a length in the same unit is no answer
    ("해누리선 최고 운행 속도는 시속 몇 km야?", "해누리선은 총연장 21.4㎞ 구간에 정거장 16곳이 들어섰다.", None),
    ("해누리선 최고 운행 속도는 시속 몇 km야?", "열차는 최고 시속 80㎞로 달린다.", "80㎞"),
    ("최대순간풍속은 초속 몇 m였어?", "한라산에서는 최대순간풍속 초속 47m가 관측됐다.", "47m"),
])
def test_a_speed_is_answered_by_a_speed(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,focus", [
    # a sum typed without its particle is still the sum asked about
    ("고려청자 특별전 준비에 들어간 예산 얼마임?", "예산"),
    ("이준서 이적료 얼마임", "이적료"),
    # a keyword question's sum, with or without 총액 or a particle; money as a kind and a sum of
    # an act ("투자액": the text says "국내 투자는 …") are none
    ("한빛스페이스가 지금까지 유치한 투자금 총액", "투자금"),
    ("셀트리온의 바이오시밀러 매출은?", "매출"),
    ("인천 해누리선 총사업비", "사업비"),
    ("라피더스 실제로 모은 돈", None),
    ("2021년과 2022년 글로벌 VC의 국내 투자액은?", None),
    # but not any noun before the question word
    ("이시바랑 정상회담 몇분했음?", None),
    ("일본에서 데이터센터를 지으면 보조금을 최대 얼마까지 받을 수 있어?", None),
])
def test_a_sum_asked_without_its_particle_is_the_focus(question, focus):
    assert answers.question_focus(question) == focus


@pytest.mark.parametrize("question,sentence,phrase", [
    # "언제까지?" asks when something ends: the day it opened is no answer
    ("고려청자 특별전 언제까지 해?", "국립중앙박물관은 지난 16일 특별전을 개막했다고 밝혔다.", None),
    ("고려청자 특별전 언제까지 해?", "전시는 내년 3월 2일까지 약 4개월 반 동안 이어진다.", "내년 3월 2일"),
    ("정부는 예산안을 언제까지 국회에 내야 해?", "정부는 회계연도 개시 90일전까지 국회에 제출한다.", "90일"),
    ("언제부터 시행돼?", "이 법은 2024년 1월 1일부터 시행한다.", "2024년 1월 1일"),
    ("축제는 언제부터 언제까지야?", "축제는 지난 9일부터 12일까지 열렸다.", "지난 9일부터 12일까지"),
    # a player named after his position
    ("삼성 2점 홈런은 누가 쳤나요?", "삼성은 6회초 외국인 타자 로페스의 2점 홈런으로 3-1까지 앞섰다.", "로페스"),
])
def test_an_end_a_start_and_a_player(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # a change asked from one value to another is answered by both, not by one of them
    ("기준금리를 몇 퍼센트에서 몇 퍼센트로 내렸나요?",
     "금융통화위원회는 지난 14일 기준금리를 연 3.00%에서 2.75%로 0.25%포인트 인하했다.", "3.00%에서 2.75%"),
    ("기준금리를 몇 퍼센트에서 몇 퍼센트로 내렸나요?",
     "한은은 기준금리가 0.25%포인트 내리면 이자 부담이 약 3조 원 감소한다고 추산했다.", None),
    ("한·미 금리 차는 몇 %포인트에서 몇 %포인트로 바뀌었어?",
     "한·미 금리 차는 1.25%포인트에서 1.50%포인트로 커졌다.", "1.25%포인트에서 1.50%"),
    ("공장 생산능력은 얼마에서 얼마로 늘어?", "회사는 연간 생산능력을 16GWh에서 30GWh로 늘릴 계획이다.", "16GWh에서 30GWh"),
    # Kiwi reads "%포인트" as one noun: still a percentage
    ("금리 차는 몇 %포인트야?", "한·미 금리 차는 1.25%포인트로 커졌다.", "1.25%포인트"),
])
def test_a_change_is_answered_from_one_value_to_the_other(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # the count right after the noun the question names wins over another count nearer its other words
    ("폭염으로 죽은 가축은 모두 몇 마리인가요?",
     "농림축산식품부는 이번 폭염으로 가금류 87만 마리와 돼지 4만2000마리 등 가축 91만2000마리가 폐사한 것으로 집계했다.",
     "91만2000마리"),
    ("올해 LNG운반선 발주 중 한국이 몇 척 따냈어?",
     "올해 1~9월 전 세계 LNG운반선 발주량은 48척이며 이 가운데 한국이 31척을 가져갔다.", "31척"),
    # or right after the pair it opens
    ("청자 특별전 청소년 관람료 얼마예요?",
     "관람료는 성인 5,000원, 청소년과 어린이는 3,000원이며 65세 이상과 장애인은 무료다.", "3,000원"),
])
def test_the_count_of_the_thing_named_is_the_answer(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,phrase", [
    # "몇 대 몇?" asks a score, not the series record beside it
    ("우승 확정된 5차전은 몇 대 몇으로 끝났어?",
     "한화는 한국시리즈 5차전에서 LG 트윈스를 6-2로 꺾고 시리즈 전적 4승 1패로 우승을 확정했다.", "6-2"),
    ("경기는 몇 대 몇이었어?", "경기는 2 대 1로 끝났다.", "2 대 1"),
    ("경기는 몇 대 몇이었어?", "경기는 2024-05-01에 열렸다.", None),
])
def test_a_score_is_answered_by_a_score(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,unit", [
    # a number of people asked without a counter is counted in 명
    ("세종마라톤 전체 참가자 수", {"명", "인"}),
    ("이재민 수는?", {"명", "인"}),
    ("청송 사과 불빛축제 방문객 수 알려줘", {"명", "인"}),
])
def test_a_number_of_people_is_counted_in_명(question, unit):
    assert answers.question_unit(question, answers.question_type(question)) == frozenset(unit)


def test_a_number_of_people_is_not_a_length():
    assert highlighted("세종마라톤 전체 참가자 수",
                       "풀코스와 하프, 10km 부문을 합쳐 모두 1만8,500명이 참가했다.") == "1만8,500명"


@pytest.mark.parametrize("question,sentence,phrase", [
    # "몇 달" asks months, which news counts in 개월 ("몇 달러" is still money)
    ("반도체 수출 두 자릿수 증가는 몇 달째 이어지고 있나요?", "반도체 수출은 4개월 연속 두 자릿수 증가율을 이어갔다.", "4개월"),
    ("몇 달러에 팔렸어?", "경매에서 그림은 3만 달러에 팔렸다.", "3만 달러"),
    # a start or an end a short noun after the date gives ("12일 첫차부터", "31일 자정까지"); "…년
    # 이후 11년 만" counts the years since, and starts nothing
    ("시내버스 파업 언제부터 시작됐어?", "시내버스 노동조합이 12일 첫차부터 전면 파업에 들어갔다.", "12일"),
    ("시내버스 파업 언제부터 시작됐어?", "광주에서 시내버스가 전면 멈춘 것은 2014년 이후 11년 만이다.", None),
    ("단축 운행은 언제까지 해?", "지하철은 31일 자정까지 단축 운행한다.", "31일"),
    # "얼마에 들여와?" asks a price: a weight is no answer; "얼마에서 얼마로" is still a change
    ("수입 배추는 1kg에 얼마에 들여와?", "중국산 배추 1,100t도 수입해 김치 제조업체에 공급할 방침이다.", None),
    ("그 그림은 얼마에 팔렸어?", "경매에서 그림은 3억 원에 팔렸다.", "3억 원"),
    ("조지아 공장 생산능력은 얼마에서 얼마로 확대돼?", "회사는 연간 생산능력을 16GWh에서 30GWh로 늘릴 계획이다.",
     "16GWh에서 30GWh"),
    # "어느 나라로?" is answered by a country, however it goes on, not by an organisation; a country
    # inside a name ("한국시리즈") or naming an era ("조선 후기") is no place
    ("어느 나라로 가는 반도체 수출이 제일 많이 늘었어?",
     "산업통상자원부는 지난달 반도체 수출액이 168억 달러로 21.4% 늘었다고 1일 밝혔다.", None),
    ("어느 나라로 가는 반도체 수출이 제일 많이 늘었어?", "지역별로는 대만 수출이 45억 달러로 57% 급증하며 증가폭이 가장 컸다.", "대만"),
    ("판소리 사설을 정리한 신재효는 어디 사람인가?", "조선 후기 전라북도 고창 출신의 신재효는 판소리 사설을 정리했다.", "고창"),
    ("한화가 플레이오프에서 꺾은 팀은 어디야?", "이후 플레이오프에서 삼성 라이온즈를 3승 1패로 누르고 한국시리즈에 진출했다.", "삼성"),
])
def test_months_edges_prices_and_countries(question, sentence, phrase):
    assert highlighted(question, sentence) == phrase


@pytest.mark.parametrize("question,sentence,shaped", [
    # a cause named as one answers why: "원인으로 꼽는다", "원인은 …이다"
    ("동해에서 오징어가 안 잡히는 까닭이 뭔가요?", "전문가들은 수온 상승으로 오징어 어장이 북쪽으로 올라간 것을 주된 원인으로 꼽는다.", True),
    ("배춧값이 이렇게 뛴 가장 큰 이유가 뭔가요?", "가격 급등의 가장 큰 원인은 고랭지 배추의 작황 부진이다.", True),
    # but not a ground the sentence states ("…이유로 경시되지 아니한다")
    ("차별받지 않을 이유로 헌법이 열거한 것은?", "국민의 자유와 권리는 헌법에 열거되지 아니한 이유로 경시되지 아니한다.", False),
])
def test_a_cause_named_as_one_answers_why(question, sentence, shaped):
    assert answers.has_answer_shape(question, sentence) is shaped
