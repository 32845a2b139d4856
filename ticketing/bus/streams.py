"""Names of the streams the hotline's processes talk over."""


class Streams:
    """Stream names; one per kind of traffic so consumers subscribe only to what they use."""

    CALLS = "hotline.calls"  # call lifecycle and queue events from the AMI bridge and IVR (key: Linkedid)
    AGENTS = "hotline.agents"  # agent/queue-member state changes (key: agent interface)
    TRANSCRIPTS = "hotline.transcripts"  # partial and final speech results (key: Linkedid)
    CASES = "hotline.cases"  # case created / changed (key: case number)
    AMI_COMMANDS = "hotline.ami.commands"  # actions requested from the bridge (originate, pause, ...)
    AMI_REPLIES = "hotline.ami.replies"  # results of those commands (key: command id)
