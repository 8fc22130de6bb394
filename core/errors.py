"""The one exception type for bad input a user can fix.

Pages show its message with ``st.error``; the CLI prints it as one line and exits 2.
Anything else that escapes is a bug and keeps its traceback.
"""


class UserError(ValueError):
    """Bad input (a file, a text, a setting): the message says what is wrong and what is accepted."""
