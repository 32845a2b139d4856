"""The console's directory of which Asterisk server owns a call, a channel or a phone."""

from __future__ import annotations

from agent_console.live.servers import ServerDirectory
from ticketing.bus import contract as ct


def test_owners_follow_the_events_of_each_server():
    servers = ServerDirectory(limit=2)
    assert servers.sole() == ""
    servers.note(ct.CallStarted(linkedid="L1", uniqueid="U1", channel="PJSIP/trunk-01", server="alpha"))
    assert servers.sole() == "alpha" and servers.of_call("L1") == "alpha"
    servers.note(ct.PhoneContact(interface="PJSIP/1002", registered=True, server="beta"))
    servers.note(ct.CallOffered(linkedid="L2", queue="q", agent="PJSIP/1001", agent_channel="PJSIP/1001-02",
                                server="alpha"))
    assert servers.sole() == ""  # two servers: an unaddressed command goes to any one of them
    assert servers.of_interface("PJSIP/1002") == "beta" and servers.of_interface("PJSIP/1001") == "alpha"
    assert servers.of_call(channel="PJSIP/1001-02") == "alpha"
    # a member added on a server where the phone is not registered does not move the phone there
    servers.note(ct.AgentStateChanged(interface="PJSIP/1002", queue="q", state="unavailable", server="alpha"))
    assert servers.of_interface("PJSIP/1002") == "beta"
    # another server saying the phone left does not undo this one's registration; its own server does
    servers.note(ct.PhoneContact(interface="PJSIP/1002", registered=False, server="alpha"))
    assert servers.of_interface("PJSIP/1002") == "beta"
    servers.note(ct.PhoneContact(interface="PJSIP/1002", registered=False, server="beta"))
    assert servers.of_interface("PJSIP/1002") == ""
    servers.note(ct.CallEnded(linkedid="L3", cause="x", server="beta"))
    assert servers.of_call("L1") == "" and servers.of_call("L3") == "beta"  # bounded: the oldest forgotten
    servers.note(ct.CaseCreated(number="FT1", action="create", actor="a", status="new"))  # not telephony
    assert servers.servers == {"alpha", "beta"}
