"""Chat lab: talk to the customer-service assistant under test, with its guardrail events
(disclosure, handover, refusal), the personal data the guard found and the sources it cited."""

from __future__ import annotations

import uuid

import streamlit as st

import sandbox
from workbench import common
from workbench.i18n import t

_BADGE = {
    "disclose": ("blue", ":material/smart_toy:"),
    "answer": ("green", ":material/menu_book:"),
    "handover": ("orange", ":material/support_agent:"),
    "refuse": ("red", ":material/block:"),
    "dont_know": ("gray", ":material/help:"),
}


@st.cache_resource(show_spinner=False, max_entries=8, ttl=3600)
def _agent(experiment: str, model: str | None, tenant: str, _settings: sandbox.Settings):
    """The fitted assistant of one experiment and model for one bank (fitting builds the
    knowledge index: done once, then shared by that bank's sessions)."""
    return sandbox.conversational_agent(experiment, model=model, settings=_settings)


def _events(reply: dict) -> None:
    badges = " ".join(
        f":{_BADGE.get(a, ('gray', ''))[0]}-badge[{_BADGE.get(a, ('', ''))[1]} {t(a)}]"
        for a in reply["actions"]
    )
    st.markdown(f"{t('Guardrails')}: {badges}")
    if reply["found"]:
        st.caption(
            f"{t('Personal data replaced')}: "
            + ", ".join(f"{kind} × {n}" for kind, n in sorted(reply["found"].items()))
        )
    if reply["citations"]:
        st.caption(f"{t('Sources')}: " + ", ".join(reply["citations"]))


def render() -> None:
    st.header(t("Chat lab"))
    if not common.may(sandbox.Action.CALL_MODEL):
        st.info(t("Your role may not call models."))
        return
    experiments = sandbox.conversational_experiments()
    if not experiments:
        st.info(t("No conversational experiment is registered."))
        return
    statuses = sandbox.model_statuses(settings=common.settings(), probe_endpoints=False)
    models = [s.name for s in statuses if s.usable and not s.name.endswith("(embeddings)")]
    left, right, last = st.columns([2, 2, 1])
    experiment = left.selectbox(t("Assistant under test"), experiments, key="chat_experiment")
    model = right.selectbox(t("Chat model"), models, key="chat_model") if models else None
    if last.button(t("Start a new conversation"), key="chat_reset", icon=":material/restart_alt:"):
        st.session_state["chat_turns"] = []
        st.session_state["chat_id"] = uuid.uuid4().hex[:12]
    st.caption(
        t(
            "Talk to the assistant as a customer would. Guardrail events, redactions and cited sources show under each answer."
        )
    )
    turns: list[dict] = st.session_state.setdefault("chat_turns", [])
    for turn in turns:
        with st.chat_message(turn["role"]):
            st.markdown(turn["content"])
            if turn["role"] == "assistant":
                _events(turn)
    message = st.chat_input(t("Message the assistant"), key="chat_message")
    if not message:
        return
    with st.chat_message("user"):
        st.markdown(message)
    with st.spinner(t("Loading the assistant (first time: builds its knowledge index)...")):
        agent = _agent(experiment, model, common.user().identity.tenant, common.settings())
        history = [sandbox.ChatTurn(role=x["role"], content=x["content"]) for x in turns]
        conversation = sandbox.Conversation(
            id=st.session_state.setdefault("chat_id", uuid.uuid4().hex[:12]),
            messages=[*history, sandbox.ChatTurn(role="user", content=message)],
        )
        reply = agent.reply([conversation])[0]
        seen = sandbox.redact_preview(message, "mask", settings=common.settings())
    found: dict[str, int] = {}
    for span in seen.spans:
        found[span["type"]] = found.get(span["type"], 0) + 1
    turns.append({"role": "user", "content": seen.redacted})
    answer = {
        "role": "assistant",
        "content": reply.reply,
        "actions": [a.value for a in reply.actions],
        "citations": list(reply.citations),
        "found": found,
    }
    turns.append(answer)
    with st.chat_message("assistant"):
        st.markdown(reply.reply)
        _events(answer)
