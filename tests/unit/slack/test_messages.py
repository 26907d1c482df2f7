from bot.slack.messages import MAX_BLOCKS, MAX_SECTION, build_message


def test_a_long_section_is_split_at_line_breaks_within_slacks_limit() -> None:
    lines = [f"line {n}: " + "x" * 90 for n in range(80)]
    message = build_message("\n".join(lines), header="Title")
    sections = [b.to_dict() for b in message.blocks if b.type == "section"]
    assert len(sections) == 3
    assert all(len(s["text"]["text"]) <= MAX_SECTION for s in sections)
    assert "\n".join(s["text"]["text"] for s in sections) == "\n".join(lines)


def test_a_single_overlong_line_is_cut_hard() -> None:
    message = build_message("y" * (MAX_SECTION * 2 + 5))
    assert [len(b.to_dict()["text"]["text"]) for b in message.blocks] == [
        MAX_SECTION,
        MAX_SECTION,
        5,
    ]


def test_no_message_exceeds_fifty_blocks() -> None:
    message = build_message("\n---\n".join(f"part {n}" for n in range(80)))
    assert len(message.blocks) == MAX_BLOCKS
    assert message.block_dicts()[-1]["elements"][0]["text"] == "_(cut: too long for one message)_"


def test_the_header_is_plain_text_cut_to_150() -> None:
    header = build_message("body", header="h" * 200).block_dicts()[0]
    assert header["type"] == "header"
    assert len(header["text"]["text"]) == 150


def test_context_blocks_and_fallback_text() -> None:
    message = build_message("*Status:* open\n---\n[context]\nposted by someone")
    assert [b.type for b in message.blocks] == ["section", "context"]
    assert message.text == "*Status:* open\n\nposted by someone"
