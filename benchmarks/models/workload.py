"""The fixed work every provider gets: generation prompts, a few-shot label-scoring task and the
sentences to embed.

The prompts and scoring items hold no personal data, so the gateway's redaction finds nothing to
replace and the model behind it does exactly the work it does when called directly; what the
gateway adds is then its own cost (analysis, audit entry, quota bookkeeping).
"""

from __future__ import annotations

import random

from sandbox.models.base import Message

__all__ = [
    "BATCH_CONVERSATIONS",
    "LABELS",
    "LATENCY_PROMPT",
    "THROUGHPUT_PROMPTS",
    "WARMUP_PROMPT",
    "label_conversations",
    "sentences",
]

THROUGHPUT_PROMPTS: tuple[list[Message], ...] = tuple(
    [{"role": "user", "content": text}]
    for text in (
        "Explain in detail how a bank should verify a customer who calls to reset their online "
        "banking password.",
        "Describe the warning signs of a romance scam and what a bank teller should do when a "
        "customer shows them.",
        "Write a notice to customers explaining why the bank will never ask for a one-time "
        "password by phone.",
        "Summarise the steps a compliance officer takes before approving a new AI model for "
        "credit decisions.",
        "List five questions a relationship manager should ask before recommending an investment "
        "product to an elderly client.",
    )
)
"""Open questions that make a small model write past 64 tokens (greedy)."""

BATCH_CONVERSATIONS = 4
"""Conversations per ``generate_batch`` call: the first prompts of :data:`THROUGHPUT_PROMPTS`."""

LATENCY_PROMPT: list[Message] = [
    {"role": "user", "content": "Explain in two sentences what a one-time password is."}
]
WARMUP_PROMPT: list[Message] = [{"role": "user", "content": "Say hello."}]

LABELS = ("scam", "legitimate")

_FEW_SHOT: tuple[tuple[str, str], ...] = (
    ("Your account is frozen. Reply with your card PIN within 24 hours to unlock it.", "scam"),
    ("Your statement for March is ready. View it in the mobile banking app.", "legitimate"),
    ("Congratulations! You won a cash prize. Pay a small handling fee to collect it.", "scam"),
    (
        "Reminder: the branch closes early on Christmas Eve. Online banking stays open.",
        "legitimate",
    ),
)

_ITEMS: tuple[str, ...] = (
    "Your parcel is held at customs. Pay the release fee today or it will be returned.",
    "Your credit card payment was received. Thank you for banking with us.",
    "Urgent: police found your account linked to money laundering. Transfer funds to a safe "
    "account now.",
    "Your new debit card has been posted. Activate it in the app when it arrives.",
    "Investment tip: guaranteed 30% monthly return, join our private chat group today.",
    "We will never ask for your password or one-time code. Stay alert to scams.",
    "Your tax refund is waiting. Confirm your card details to receive it.",
    "Scheduled maintenance: online banking is unavailable on Sunday from 2 am to 4 am.",
    "Your mobile number will be suspended unless you verify your identity by tonight.",
    "Your fixed deposit has matured and the funds were credited to your savings account.",
    "A relative is in trouble overseas and needs bail money. Send it quickly and tell no one.",
    "Your monthly e-statement is now available for download.",
    "You have unpaid tolls. Settle them today to avoid a penalty, reply YES to pay.",
    "Your loan application has been approved. Visit the branch to sign the agreement.",
    "Exclusive crypto offer: double your deposit within a week, limited places left.",
    "The interest rate on your savings account will change next month, see the notice in the app.",
    "Your reward points expire tonight. Enter your card number and code to redeem them.",
    "Thank you for updating your contact details with the bank.",
    "A job offer: earn money at home by liking videos, pay a deposit to start.",
    "Your standing instruction was set up successfully.",
    "Security alert: a login from a new device. If it was not you, lock your card in the app.",
)
"""Scoring items; the first one warms up the shared few-shot prefix and is never timed."""


def label_conversations(count: int) -> tuple[list[Message], list[list[Message]]]:
    """A warm-up conversation and ``count`` timed ones sharing the same few-shot prefix.

    Raises:
        ValueError: ``count`` is below 1 or above the number of items.
    """
    if not 1 <= count <= len(_ITEMS) - 1:
        raise ValueError(f"label calls must be between 1 and {len(_ITEMS) - 1}; got {count}")
    prefix: list[Message] = [
        {
            "role": "system",
            "content": "You label SMS messages sent to bank customers in Hong Kong. Answer scam "
            "or legitimate, in one word.",
        }
    ]
    for text, label in _FEW_SHOT:
        prefix += [{"role": "user", "content": text}, {"role": "assistant", "content": label}]
    conversations = [[*prefix, {"role": "user", "content": text}] for text in _ITEMS]
    return conversations[0], conversations[1 : count + 1]


def sentences(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct, shuffled Hong Kong SMS messages (English, Chinese and Cantonese).

    The fraud use case's message generator supplies them: the texts its embedding challenger
    embeds. Distinct texts keep de-duplication and caches from skipping any work.
    """
    from use_cases.fraud.hk_messages import FAMILIES, generate_hk_messages

    per_family = -(-count // (len(FAMILIES) * 3)) + 1  # three languages per family
    texts = sorted(set(generate_hk_messages(seed=seed, per_family=per_family)["text"]))
    if len(texts) < count:
        raise ValueError(f"the generator gave {len(texts)} distinct messages; {count} wanted")
    random.Random(seed).shuffle(texts)
    return texts[:count]
