"""Unit tests for course_utils.prompting (lesson 03). Generations are kept to a few tokens. The exercises' checkers
are tested in nbs/checks/03_prompting.ipynb."""
import sqlite3
import sys
import time

import pytest

from course_utils import prompting as P

SCHEMA = {"name": str, "age": int, "city": str}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    "Generation on one thread, as in the lesson: with two test workers on two cores, more threads only wait."
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return P.build_employee_database(tmp_path_factory.mktemp("sql") / "company.db")


# -- chat messages and templates ------------------------------------------------------------------

def test_to_messages_builds_and_validates_chats():
    assert P.to_messages("hi") == [{"role": "user", "content": "hi"}]
    assert P.to_messages("hi", system="Be brief.")[0] == {"role": "system", "content": "Be brief."}
    chat = [{"role": "user", "content": "hi"}]
    assert P.to_messages(chat) is chat


@pytest.mark.parametrize("prompt, system, error", [
    ("", None, ValueError), ("  ", None, ValueError), (42, None, TypeError), ([], None, TypeError),
    ([{"role": "robot", "content": "hi"}], None, TypeError), ([{"role": "user"}], None, TypeError),
    ("hi", "", ValueError), ([{"role": "user", "content": "hi"}], "Be brief.", ValueError)])
def test_to_messages_rejects_bad_input(prompt, system, error):
    with pytest.raises(error):
        P.to_messages(prompt, system)


def test_render_prompt_applies_the_template_or_not():
    text = P.render_prompt("What is 2 + 3?")
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    assert "What is 2 + 3?<|im_end|>" in text
    assert P.render_prompt("Question:", template=False, prefill=" A") == "Question: A"
    assert P.render_prompt("hi", prefill='{"a": ').endswith('assistant\n{"a": ')
    with pytest.raises(ValueError, match="needs the chat template"):
        P.render_prompt("hi", system="x", template=False)
    with pytest.raises(TypeError, match="prefill"):
        P.render_prompt("hi", prefill=3)


# -- generation ------------------------------------------------------------------------------------

def test_generate_is_greedy_repeatable_and_matches_the_library():
    from course_utils.pretrained import chat
    answer = P.generate("What is the capital of France?", max_new_tokens=10)
    assert "Paris" in answer and answer == P.generate("What is the capital of France?", max_new_tokens=10)
    assert answer == chat("What is the capital of France?", max_new_tokens=10)


def test_generate_sampling_follows_the_seed_and_reports_details():
    runs = [P.generate("Write a word.", max_new_tokens=6, temperature=1.0, seed=s, details=True) for s in (3, 3)]
    assert runs[0].text == runs[1].text
    run = runs[0]
    assert isinstance(run, P.Generation) and 1 <= run.new_tokens <= 6 and run.prompt_tokens > 20
    assert run.finish_reason in ("eos", "length") and run.seconds > 0 and run.tokens_per_second > 0


def test_generate_stops_at_stop_strings_and_until():
    cut = P.generate("Count from 1 to 10, separated by commas.", max_new_tokens=30, stop=[","], details=True)
    assert cut.finish_reason == "stop" and "," not in cut.text
    kept = P.generate("Count from 1 to 10, separated by commas.", max_new_tokens=30, stop=[","], include_stop=True)
    assert kept.endswith(",")
    short = P.generate("Tell me a story.", max_new_tokens=30, until=lambda text: len(text.split()) >= 3, details=True)
    assert short.finish_reason == "stop" and len(short.text.split()) >= 3


def test_generate_prefill_starts_the_answer():
    answer = P.generate("Give a JSON object with a key 'x' set to 1.", prefill='{"x":', max_new_tokens=3)
    assert answer.startswith('{"x":')


@pytest.mark.parametrize("kwargs, error", [
    (dict(max_new_tokens=0), ValueError), (dict(max_new_tokens=True), ValueError), (dict(max_new_tokens=2.5), ValueError),
    (dict(temperature=-0.1), ValueError), (dict(temperature="hot"), ValueError), (dict(top_p=0), ValueError),
    (dict(top_p=1.5), ValueError), (dict(seed=-1), ValueError), (dict(seed=1.5), ValueError),
    (dict(stop=","), TypeError), (dict(stop=[""]), ValueError), (dict(until="}"), TypeError)])
def test_generate_rejects_bad_options(kwargs, error):
    with pytest.raises(error):
        P.generate("hi", **kwargs)


def test_generate_refuses_prompts_beyond_the_context_window():
    with pytest.raises(ValueError, match="context window of 8192"):
        P.generate("word " * 8190, max_new_tokens=10)


def test_pick_token_greedy_and_top_p_keep_the_favourite():
    import torch
    logits = torch.tensor([0.0, 5.0, 1.0])
    assert P._pick_token(logits, 0, 1.0, None) == 1
    generator = torch.Generator().manual_seed(0)
    assert {P._pick_token(logits, 1.0, 0.01, generator) for _ in range(20)} == {1}


def test_next_token_table_sharpens_with_low_temperature():
    table = P.next_token_table("The capital of France is", k=3, temperatures=(0.5, 1.0), template=False)
    assert len(table) == 3 and list(table.columns) == ["temperature 0.5", "temperature 1"]
    assert table.iloc[0, 0] >= table.iloc[0, 1] and "Paris" in table.index[0]
    with pytest.raises(ValueError):
        P.next_token_table("hi", k=0)
    with pytest.raises(ValueError):
        P.next_token_table("hi", temperatures=(0,))


# -- few-shot --------------------------------------------------------------------------------------

def test_few_shot_prompt_layout():
    prompt = P.few_shot_prompt("Loved it.", [("Bad.", "negative")], "Classify.", "Review", "Sentiment")
    assert prompt == "Classify.\n\nReview: Bad.\nSentiment: negative\n\nReview: Loved it.\nSentiment:"
    assert P.few_shot_prompt("x") == "Input: x\nOutput:"


@pytest.mark.parametrize("kwargs, error", [
    (dict(query=""), ValueError), (dict(query=None), ValueError), (dict(query="x", examples="ab"), TypeError),
    (dict(query="x", examples=[("only input",)]), ValueError), (dict(query="x", examples=[("", "label")]), ValueError),
    (dict(query="x", examples=[("text", "")]), ValueError), (dict(query="x", examples=[("text", 1)]), ValueError),
    (dict(query="x", instruction=None), TypeError), (dict(query="x", input_name="In:"), ValueError),
    (dict(query="x", output_name=""), ValueError)])
def test_few_shot_prompt_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        P.few_shot_prompt(**kwargs)


def test_review_examples_alternate_and_are_not_test_reviews():
    from course_utils.datasets import load_reviews
    labels = [label for _, label in P.REVIEW_EXAMPLES]
    assert len(labels) == 8 and labels == ["positive", "negative"] * 4
    assert not {t for t, _ in P.REVIEW_EXAMPLES} & set(load_reviews("test").text)


def test_binomial_interval_is_a_wilson_interval():
    assert P.binomial_interval(80, 100) == (0.711, 0.867)
    low, high = P.binomial_interval(0, 10)
    assert low == 0 and 0.25 < high < 0.35
    assert P.binomial_interval(10, 10)[1] == 1
    for args, error in [((11, 10), ValueError), ((-1, 10), ValueError), ((1, 0), ValueError), ((0.5, 10), ValueError)]:
        with pytest.raises(error):
            P.binomial_interval(*args)


def test_choice_logprobs_scores_and_classify_picks_the_best():
    prompt = P.few_shot_prompt("The battery died after two days.", P.REVIEW_EXAMPLES, "Classify the sentiment.", "Review", "Sentiment")
    scores = P.choice_logprobs(prompt, [" positive", " negative"])
    assert set(scores) == {" positive", " negative"} and all(s < 0 for s in scores.values())
    assert P.classify(prompt, [" positive", " negative"]) == " negative"
    multi = P.choice_logprobs(prompt, [" positive", " negative", " quite negative"])  # a multi-token label
    assert multi[" quite negative"] < multi[" negative"]
    assert P.choice_logprobs(prompt, [" positive", " negative"]) == pytest.approx(scores, abs=1e-3)  # cached prefix
    assert P._PREFIX_CACHE["model"] is P.load_llm()[0]  # the cache belongs to the model that computed it


@pytest.mark.parametrize("prompt, labels, error", [
    ("", [" a", " b"], ValueError), ("x", " a b", ValueError), ("x", [" a"], ValueError), ("x", [" a", " a"], ValueError),
    ("x", [" a", ""], ValueError)])
def test_choice_logprobs_rejects_bad_input(prompt, labels, error):
    with pytest.raises(error):
        P.choice_logprobs(prompt, labels)


def test_prompt_accuracy_beats_chance_with_examples_and_validates():
    accuracy = P.prompt_accuracy("Classify the sentiment of the review as positive or negative.", P.REVIEW_EXAMPLES[:4],
                                  [("I loved it, a wonderful film.", "positive"), ("Dull, long and badly acted.", "negative"),
                                   ("The best film of the year.", "positive"), ("A waste of time.", "negative")])
    assert 0.5 < accuracy <= 1
    with pytest.raises(ValueError, match="non-empty"):
        P.prompt_accuracy("x", [], [])
    with pytest.raises(ValueError, match="not among"):
        P.prompt_accuracy("x", [], [("ok", "neutral")])


# -- tokens ----------------------------------------------------------------------------------------

def test_tokens_count_split_and_truncate():
    text = "Prompting changes what a model does, not the model."
    pieces = P.show_tokens(text)
    assert "".join(pieces) == text and len(pieces) == P.count_tokens(text) == 13
    assert P.count_tokens([{"role": "user", "content": "Hello!"}]) > P.count_tokens("Hello!")
    assert P.count_tokens(P.truncate_tokens(text, 5)) == 5 and text.startswith(P.truncate_tokens(text, 5))
    assert text.endswith(P.truncate_tokens(text, 4, keep="end"))
    assert P.truncate_tokens(text, 100) == text


@pytest.mark.parametrize("call, error", [
    (lambda: P.count_tokens(3), TypeError), (lambda: P.show_tokens(None), TypeError),
    (lambda: P.truncate_tokens("abc", 0), ValueError), (lambda: P.truncate_tokens("abc", 2, keep="middle"), ValueError),
    (lambda: P.truncate_tokens(["abc"], 2), TypeError)])
def test_token_helpers_reject_bad_input(call, error):
    with pytest.raises(error):
        call()


# -- prompt templates and JSON ---------------------------------------------------------------------

def test_prompt_template_fills_named_fields():
    template = P.PromptTemplate('Text: {text}\nJSON like {{"age": {age}}}, about {text}')
    assert template.fields == ("text", "age") and "fields=('text', 'age')" in repr(template)
    assert template.format(text="Ana", age=3) == 'Text: Ana\nJSON like {"age": 3}, about Ana'


@pytest.mark.parametrize("template, error, match", [
    ("", ValueError, "non-empty"), (3, ValueError, "non-empty"), ("Hello {}", ValueError, "plain name"),
    ("Hello {0}", ValueError, "plain name"), ("{user.name}", ValueError, "plain name"), ("a { b", ValueError, "brace")])
def test_prompt_template_rejects_bad_templates(template, error, match):
    with pytest.raises(error, match=match):
        P.PromptTemplate(template)


def test_prompt_template_refuses_missing_unknown_and_odd_values():
    template = P.PromptTemplate("Review: {review}")
    with pytest.raises(ValueError, match="missing value for field"):
        template.format()
    with pytest.raises(ValueError, match="unknown field"):
        template.format(review="ok", revew="typo")
    with pytest.raises(TypeError, match="text or numbers"):
        template.format(review=["a list"])


def test_parse_json_answer_finds_and_checks_the_object():
    text = 'Sure! ```json\n{"name": "Maria", "age": 34, "city": "Lisbon"}\n``` Anything else?'
    assert P.parse_json_answer(text, SCHEMA) == {"name": "Maria", "age": 34, "city": "Lisbon"}
    assert P.parse_json_answer('{"x": 1}', {"x": float}) == {"x": 1}
    assert P.describe_schema(SCHEMA) == '"name" (string), "age" (integer) and "city" (string)'


@pytest.mark.parametrize("text, match", [
    ("no json here", "no JSON object"), ('{"name": "Maria", "age": 3', "not valid"),
    ('{"name": "Maria", "city": "Lisbon"}', "missing key"), ('{"name": "M", "age": 3, "city": "L", "job": "x"}', "unexpected key"),
    ('{"name": "Maria", "age": "34", "city": "Lisbon"}', '"age" must be an integer'),
    ('{"name": "Maria", "age": true, "city": "Lisbon"}', '"age" must be'), ('{"name": " ", "age": 3, "city": "L"}', "empty"),
    ('{"type": "json", "data": {"name": "M", "age": 3, "city": "L"}}', "missing key")])
def test_parse_json_answer_explains_malformed_answers(text, match):
    with pytest.raises(P.JSONAnswerError, match=match):
        P.parse_json_answer(text, SCHEMA)


@pytest.mark.parametrize("text, schema, error", [
    (None, SCHEMA, TypeError), ("{}", {}, TypeError), ("{}", {"a": dict}, TypeError), ("{}", ["a"], TypeError)])
def test_parse_json_answer_rejects_bad_arguments(text, schema, error):
    with pytest.raises(error):
        P.parse_json_answer(text, schema)


def _fake_generate(answers):
    "A stand-in for generate that returns the given answers in turn and records the prompts."
    seen = []
    def fake(prompt, **options):
        seen.append(prompt)
        return answers[len(seen) - 1]
    return fake, seen


def test_ask_json_retries_with_a_note_and_stops_when_valid(monkeypatch):
    fake, seen = _fake_generate(['{"type": "json"}', '{"name": "Ana", "age": 30, "city": "Oslo"}'])
    monkeypatch.setattr(P, "generate", fake)
    result = P.ask_json("Text: Ana, 30, Oslo.", SCHEMA, retries=2)
    assert result.ok and result.attempts == 2 and result.value["city"] == "Oslo"
    assert "missing key(s) name, age, city" in result.errors[0] and len(result.answers) == 2
    restated = seen[1]
    assert len(restated) == 1 and restated[0]["content"].startswith("Text: Ana, 30, Oslo.\n\nA previous answer was wrong")


def test_ask_json_conversation_retry_keeps_the_bad_answer_and_gives_up(monkeypatch):
    fake, seen = _fake_generate(["nothing"] * 3)
    monkeypatch.setattr(P, "generate", fake)
    result = P.ask_json("Text: Ana.", SCHEMA, retries=1, retry_style="conversation")
    assert not result.ok and result.value is None and result.attempts == 2 and len(result.errors) == 2
    assert [m["role"] for m in seen[1]] == ["user", "assistant", "user"] and seen[1][1]["content"] == "nothing"


def test_ask_json_with_the_model_and_a_prefilled_key():
    result = P.ask_json("Text: Maria is 34 and lives in Lisbon.\n\nReturn a JSON object with the keys "
                        f"{P.describe_schema(SCHEMA)} taken from the text. Reply with the JSON only.", SCHEMA, prefill='{"name": "')
    assert result.ok and result.value == {"name": "Maria", "age": 34, "city": "Lisbon"}


@pytest.mark.parametrize("kwargs, error", [
    (dict(retries=-1), ValueError), (dict(retries=9), ValueError), (dict(retries=True), ValueError),
    (dict(retry_style="shout"), ValueError), (dict(schema={}), TypeError)])
def test_ask_json_rejects_bad_options(kwargs, error):
    with pytest.raises(error):
        P.ask_json("Text: x", **{"schema": SCHEMA, **kwargs})


def test_holds_json_object_detects_a_complete_object():
    assert not P._holds_json_object('{"a": 1') and P._holds_json_object('x {"a": {"b": 2}} y')
    assert not P._holds_json_object("no braces")


# -- SQL -------------------------------------------------------------------------------------------

def test_build_employee_database_writes_the_table(database, tmp_path):
    assert P.run_sql_safely(database, "SELECT COUNT(*), SUM(salary) FROM employees") == [(10, 537000)]
    with pytest.raises(ValueError, match=".db"):
        P.build_employee_database(tmp_path / "company.sqlite")


def test_run_sql_safely_reads_and_limits_rows(database):
    rows = P.run_sql_safely(database, "-- the Sales team\nSELECT name FROM employees WHERE department = 'Sales' ORDER BY name;")
    assert rows == [("Ana Silva",), ("Farid Haddad",), ("Ines Moreau",)]
    assert len(P.run_sql_safely(database, "SELECT * FROM employees", max_rows=2)) == 2
    assert P.run_sql_safely(database, "WITH s AS (SELECT salary FROM employees) SELECT MAX(salary) FROM s") == [(81000,)]


@pytest.mark.parametrize("sql, match", [
    ("DELETE FROM employees", "only a SELECT"), ("SELECT 1; DROP TABLE employees", "exactly one statement"),
    ("SELECT 1; SELECT 2", "exactly one statement"), ("PRAGMA writable_schema = 1", "only a SELECT"),
    ("WITH x AS (SELECT 1) INSERT INTO employees (name) SELECT 'Eve' FROM x", "other than reading"),
    ("SELECT load_extension('/tmp/evil.so')", "other than reading"), ("ATTACH DATABASE ':memory:' AS other", "only a SELECT"),
    ("  ;  ", "only a SELECT")])
def test_run_sql_safely_refuses_anything_but_one_select(database, sql, match):
    with pytest.raises(P.UnsafeSQLError, match=match):
        P.run_sql_safely(database, sql)
    assert P.run_sql_safely(database, "SELECT COUNT(*) FROM employees") == [(10,)]


def test_run_sql_safely_stops_endless_queries(database):
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="longer than 0.3 s"):
        P.run_sql_safely(database, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n", timeout=0.3)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("kwargs, error", [
    (dict(sql=""), ValueError), (dict(sql=None), ValueError), (dict(sql="SELECT 1", timeout=0), ValueError),
    (dict(sql="SELECT 1", timeout=True), ValueError), (dict(sql="SELECT 1", max_rows=0), ValueError)])
def test_run_sql_safely_rejects_bad_arguments(database, kwargs, error):
    with pytest.raises(error):
        P.run_sql_safely(database, **kwargs)


def test_run_sql_safely_needs_an_existing_file_and_reports_sql_errors(database, tmp_path):
    with pytest.raises(FileNotFoundError):
        P.run_sql_safely(tmp_path / "missing.db", "SELECT 1")
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        P.run_sql_safely(database, "SELECT wages FROM employees")


def test_results_match_ignores_order_and_float_noise():
    assert P.results_match([("b", 1), ("a", 2.0)], [("a", 2), ("b", 1)])
    assert P.results_match([(53700.0,)], [(53700,)]) and P.results_match([(1 / 3,)], [(0.33,)])
    assert not P.results_match([("b",), ("a",)], [("a",), ("b",)], ordered=True)
    assert not P.results_match([(1,)], [(1,), (1,)])
    with pytest.raises(TypeError):
        P.results_match("a", [("a",)])


def test_nl_to_sql_writes_a_select(database):
    sql = P.nl_to_sql("How many employees are there?", max_new_tokens=20)
    assert sql.startswith("SELECT") and ";" not in sql
    assert P.results_match(P.run_sql_safely(database, sql), [(10,)])


@pytest.mark.parametrize("kwargs, error", [
    (dict(question=""), ValueError), (dict(question="two\nlines"), ValueError), (dict(question="q", schema="employees"), ValueError),
    (dict(question="q", examples="SELECT 1"), TypeError), (dict(question="q", examples=[("q", "")]), ValueError)])
def test_nl_to_sql_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        P.nl_to_sql(**kwargs)


# -- playground ------------------------------------------------------------------------------------

def test_playground_runs_once_and_on_click():
    calls = []
    def fake(prompt, temperature, top_p, max_new_tokens, seed):
        calls.append((prompt, temperature, top_p, max_new_tokens, seed))
        return f"answer <{len(calls)}>"
    panel = P.playground(fake, prompt="Say hi.", temperature=0.3, max_new_tokens=5)
    assert calls == [("Say hi.", 0.3, 1.0, 5, 0)] and panel.answer == "answer <1>"
    assert "answer &lt;1&gt;" in panel.output.value  # escaped for HTML
    panel.prompt.value, panel.temperature.value, panel.top_p.value = "Say bye.", 1.0, 0.9
    panel.button.click()  # a click samples with the next seed
    assert calls[-1] == ("Say bye.", 1.0, 0.9, 5, 1) and panel.answer == "answer <2>" and panel.seed.value == 1
    panel.new_seed.value = False
    panel.button.click()  # unticked: the same seed again
    assert calls[-1][-1] == 1
    panel.new_seed.value, panel.temperature.value = True, 0.0
    panel.button.click()  # greedy: the seed plays no part and stays
    assert calls[-1][-1] == 1
    bundle = panel._repr_mimebundle_()
    assert "Answer: answer <4>" in bundle["text/plain"] and "seed 1" in bundle["text/plain"] and bundle["application/vnd.jupyter.widget-view+json"]["model_id"]


def test_playground_reports_problems_in_its_output():
    panel = P.playground(lambda prompt, **options: 1 / 0)
    assert panel.answer.startswith("[ZeroDivisionError")
    panel.prompt.value = "   "
    panel.button.click()
    assert "Write a prompt first" in panel.output.value


@pytest.mark.parametrize("kwargs, error", [
    (dict(generate_fn="generate"), TypeError), (dict(temperature=9), ValueError), (dict(max_new_tokens=0), ValueError),
    (dict(top_p=0), ValueError), (dict(seed=-1), ValueError)])
def test_playground_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        P.playground(**{"generate_fn": lambda p, **o: "x", **kwargs})


def test_playground_with_the_model_answers():
    assert P.playground(max_new_tokens=4).answer


# -- the module stays light ------------------------------------------------------------------------

def test_importing_the_module_does_not_import_torch():
    import subprocess
    code = "import sys, course_utils.prompting; print(any(m in sys.modules for m in ('torch', 'transformers')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
