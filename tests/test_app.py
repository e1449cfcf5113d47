"""The Streamlit workbench driven in-process with AppTest through one small run."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from sandbox.config import PROJECT_ROOT, Settings

SMALL = [
    "simulation.days=21",
    "simulation.daily_volume=300",
    "simulation.n_customers=600",
    "test_days=7",
    "review_capacity_per_day=10",
    "challenger.max_iter=40",
    "explanations.enabled=false",
]


def test_run_page_runs_an_experiment_and_runs_page_lists_it(settings: Settings) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception
    assert "test-bank" in at.sidebar.caption[0].value

    at.selectbox(key="use_case").select("fraud")
    at.run()
    at.selectbox(key="experiment").select("transactions")
    at.text_area(key="overrides").input("\n".join(SMALL))
    at.button(key="run").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert sorted(table["role"]) == ["baseline", "challenger"]
    assert "auprc" in table.columns
    assert at.session_state["last_run_id"]
    run_id = at.session_state["last_run_id"]

    at.radio(key="page").set_value("Recent runs")
    at.run()
    assert not at.exception, at.exception
    runs = at.dataframe[0].value
    assert runs["run id"].tolist() == [run_id]
    assert runs["status"].tolist() == ["FINISHED"]

    at.radio(key="page").set_value("Reports and sign-off")
    at.run()
    assert not at.exception, at.exception
    assert any("Review state: **draft**" in m.value for m in at.markdown)
    at.button(key="build_report").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Report built" in s.value for s in at.success)
    at.text_input(key="review_comment").input("ready for validation")
    at.button(key="review_go").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Run is now submitted" in s.value for s in at.success)


def test_bad_override_shows_an_error_not_a_traceback(settings: Settings) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    at.run()
    at.selectbox(key="use_case").select("fraud")
    at.run()
    at.selectbox(key="experiment").select("transactions")
    at.text_area(key="overrides").input("no_such_key=1")
    at.button(key="run").click()
    at.run()
    assert not at.exception
    assert any("unknown parameter 'no_such_key'" in e.value for e in at.error)


def test_models_page_lists_providers_and_chats_through_the_gateway(settings: Settings) -> None:
    from sandbox.models.embedded import embedded_status

    usable, reason = embedded_status()
    if not usable:
        import pytest

        pytest.skip(reason)
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300)
    at.run()
    at.radio(key="page").set_value("Models and gateway")
    at.run()
    assert not at.exception, at.exception
    providers = set(at.dataframe[0].value["provider"])
    assert {"embedded", "hf-local", "openai-compatible"} <= providers
    at.text_area(key="chat_prompt").input("My HKID is A123456(3). Say hello.")
    at.slider(key="chat_tokens").set_value(8)
    at.run()  # the Send button is enabled once there is a message
    at.button(key="chat_send").click()
    at.run()
    assert not at.exception, at.exception
    sent = at.code[0].value
    assert "A123456" not in sent and "<HK_ID_" in sent
    assert "A123456" not in settings.audit_log_path.read_text(encoding="utf-8")
