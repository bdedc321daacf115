"""The small exception family of repairchat.

``UserError`` is bad input the user can fix; the CLI prints its one-line message and exits 2, never a traceback.
The loop's own turn-ending exceptions live in :mod:`agent.loop`.
"""


class UserError(Exception):
    """A one-line message naming the problem and the fix."""
