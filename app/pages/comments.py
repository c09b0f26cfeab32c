"""Synpunkter / Comments: the reference group comments on scenarios open for comment.

Layout and calls only: reads come from :mod:`app.state_comments`, writes and messages from
:mod:`app.services.comments`, the rules from :mod:`planning.comments`. User text (comments,
reasons, names) is shown with ``st.text`` or escaped before it reaches Markdown.
"""

from types import SimpleNamespace

import pandas as pd
import streamlit as st

from app import state, state_comments
from app.i18n import current_language, fmt_int, t
from app.services import comments as svc
from app.services.lifecycle import status_label, version_labels
from app.session import current_user
from inventory.permissions import can
from planning.comments import MAX_REASON_LENGTH, MAX_TEXT_LENGTH, comment_window, local_time

FLASH_KEY = "comments_flash"
lang = current_language()
user = current_user()
moderator = can(user, "comment.moderate")

st.title(t("comments.title"))
st.caption(t("comments.caption"))
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash, icon=":material/check:")

try:
    table = state_comments.scenarios()
except state.DATABASE_ERRORS as exc:
    st.error(t("comments.database_error", reason=state.error_reason(exc)))
    st.stop()
rows = svc.versions_for_comment(table)
if rows.empty:
    st.info(t("comments.no_scenarios"), icon=":material/info:")
    st.stop()
# labels are made here, in this run's language, not when the widget formats an option
labels = version_labels(rows)
chosen = st.selectbox(
    t("comments.choose_scenario"),
    list(labels),
    format_func=labels.get,
    key="comments_scenario",
)
scenario = rows.loc[chosen]
resource = SimpleNamespace(status=scenario["status"], comment_deadline=scenario["comment_deadline"])
window = comment_window(resource)
may_comment = can(user, "scenario.comment", resource)
may_reply = may_comment and (window.accepting or moderator)


def done(message: str, *cleared: str) -> None:
    """Show ``message`` after a fresh run; empty the ``cleared`` inputs (a refused text stays)."""
    for key in cleared:
        st.session_state.pop(key, None)
    st.session_state[FLASH_KEY] = message
    st.rerun()


# --------------------------------------------------------------------------- the scenario
with st.container(key="comments_scenario_info", border=True):
    st.header(svc.escape_markdown(scenario["name"]))
    deadline = window.deadline.isoformat() if window.deadline else "–"
    municipality = (
        scenario["municipality_name"] if pd.notna(scenario["municipality_name"]) else None
    )
    st.caption(
        t(
            "comments.scenario_facts",
            status=status_label(scenario["status"]),
            version=int(scenario["version"]),
            deadline=deadline,
            municipality=svc.escape_markdown(municipality) if municipality else t("comments.all"),
        )
    )
    if not window.open:
        st.info(
            t("comments.not_open", status=status_label(scenario["status"])),
            icon=":material/lock:",
        )
    elif window.passed:
        st.warning(t("comments.deadline_passed", deadline=deadline), icon=":material/event_busy:")
    else:
        st.caption(t("comments.open_until", deadline=deadline))

try:
    threads = state_comments.threads(chosen, user)
    schools = state_comments.schools(chosen)
except state.DATABASE_ERRORS as exc:
    st.error(t("comments.database_error", reason=state.error_reason(exc)))
    st.stop()
school_names = {sid: f"{name} ({code})" for sid, name, code in schools}
targets = {0: t("comments.whole_scenario"), **school_names}
school_filter = {0: t("comments.any_school"), **school_names}
status_names = {s: t(f"comments.status.{s}") for s in svc.STATUSES}
counts = svc.status_counts(threads)
st.caption(
    t(
        "comments.counts",
        threads=fmt_int(len(threads)),
        open=fmt_int(counts["open"]),
        answered=fmt_int(counts["answered"]),
        resolved=fmt_int(counts["resolved"]),
    )
)

# --------------------------------------------------------------------------- new comment
if may_comment and window.accepting:
    with st.container(key="comments_new"), st.form("comments_new_form"):
        st.markdown(f"**{t('comments.new_heading')}**")
        target = st.selectbox(
            t("comments.about"),
            list(targets),
            format_func=targets.get,
            key="comments_new_school",
        )
        text = st.text_area(t("comments.text"), max_chars=MAX_TEXT_LENGTH, key="comments_new_text")
        if st.form_submit_button(t("comments.send"), key="comments_new_submit", type="primary"):
            try:
                svc.post(user, chosen, text, school_id=target or None)
            except svc.ERRORS as exc:
                st.error(svc.error_message(exc), icon=":material/error:")
            else:
                done(t("comments.sent"), "comments_new_text")


# --------------------------------------------------------------------------- threads
def render_comment(view, root: bool) -> None:
    """One comment: who, when, about what, its status (root), and its text or a notice."""
    where = (
        svc.escape_markdown(school_names.get(view.school_id, view.school_name or ""))
        if view.school_id
        else t("comments.whole_scenario")
    )
    st.caption(
        t(
            "comments.meta",
            number=view.id,
            author=svc.escape_markdown(view.author),
            role=t(f"role.{view.author_role}"),
            at=local_time(view.created_at),
            version=view.scenario_version,
            about=where,
        )
    )
    if root:
        icon, colour = svc.STATUS_BADGES[view.status]
        st.badge(t(f"comments.status.{view.status}"), icon=icon, color=colour)
    elif view.reply_to_id != view.thread_id:
        st.caption(t("comments.reply_to", number=view.reply_to_id))
    if view.hidden:
        notice = t("comments.hidden_notice", reason=view.hidden_reason or "")
        st.text(notice)
        if view.text is not None:
            by = svc.escape_markdown(view.hidden_by) if view.hidden_by else "–"
            st.caption(t("comments.hidden_text_for_moderators", by=by))
            st.text(view.text)
        return
    st.text(view.text)
    if moderator:
        with st.expander(t("comments.hide")), st.form(f"comments_hide_form_{view.id}"):
            reason = st.text_input(
                t("comments.hide_reason"),
                max_chars=MAX_REASON_LENGTH,
                key=f"comments_hide_reason_{view.id}",
            )
            if st.form_submit_button(t("comments.hide_submit"), key=f"comments_hide_{view.id}"):
                try:
                    svc.hide(user, view.id, reason)
                except svc.ERRORS as exc:
                    st.error(svc.error_message(exc), icon=":material/error:")
                else:
                    done(
                        t("comments.hidden_done", number=view.id),
                        f"comments_hide_reason_{view.id}",
                    )


def render_thread(thread) -> None:
    root = thread.root
    with st.container(key=f"comments_thread_{root.id}", border=True):
        render_comment(root, root=True)
        for view in thread.replies:
            _, body = st.columns([1, 24])
            with body, st.container(key=f"comments_reply_{view.id}"):
                render_comment(view, root=False)
        if moderator:
            with st.container(horizontal=True):
                if thread.status != "resolved" and st.button(
                    t("comments.resolve"), key=f"comments_resolve_{root.id}"
                ):
                    change(root.id, "resolved")
                if thread.status == "resolved" and st.button(
                    t("comments.reopen"), key=f"comments_reopen_{root.id}"
                ):
                    change(root.id, "open")
        if may_reply and not root.hidden:
            with st.expander(t("comments.reply")), st.form(f"comments_reply_form_{root.id}"):
                answer = st.text_area(
                    t("comments.text"),
                    max_chars=MAX_TEXT_LENGTH,
                    key=f"comments_reply_text_{root.id}",
                )
                if st.form_submit_button(t("comments.send"), key=f"comments_reply_{root.id}"):
                    try:
                        svc.answer(user, chosen, root.id, answer)
                    except svc.ERRORS as exc:
                        st.error(svc.error_message(exc), icon=":material/error:")
                    else:
                        done(t("comments.sent"), f"comments_reply_text_{root.id}")


def change(comment_id: int, status: str) -> None:
    try:
        svc.change_status(user, comment_id, status)
    except svc.ERRORS as exc:
        st.error(svc.error_message(exc), icon=":material/error:")
    else:
        done(t("comments.status_done", number=comment_id, status=t(f"comments.status.{status}")))


with st.container(key="comments_threads"):
    st.header(t("comments.threads_heading"))
    left, right = st.columns(2)
    shown_status = left.segmented_control(
        t("comments.filter_status"),
        list(status_names),
        format_func=status_names.get,
        key="comments_filter_status",
    )
    shown_school = right.selectbox(
        t("comments.filter_school"),
        list(school_filter),
        format_func=school_filter.get,
        key="comments_filter_school",
    )
    selected = svc.filter_threads(threads, shown_status, shown_school or None)
    if not selected:
        st.info(t("comments.none"), icon=":material/chat_bubble_outline:")
    for thread in selected:
        render_thread(thread)

with st.container(key="comments_export"):
    try:
        data = state_comments.export(chosen, user, lang)
    except state.DATABASE_ERRORS as exc:
        st.error(t("comments.database_error", reason=state.error_reason(exc)))
    else:
        st.download_button(
            t("comments.download"),
            data=data,
            file_name=svc.export_file_name(str(scenario["name"]), int(scenario["version"])),
            mime="text/csv",
            key="comments_download",
            icon=":material/download:",
        )
        st.caption(t("comments.download_caption"))
