/// The built-in themes, the same text as the files in the repository's `themes/` folder
/// (a test checks they are identical), so no resource lookup is needed at run time.
/// Regenerate by copying the files in when they change.
enum BuiltinThemes {
    static let all: [(name: String, text: String)] = [
        ("dark", """
        # Zoetrope theme: dark (the default)
        # Format: themes/README.md. One `role.part = value` per line.
        text.fg = #d0d0d8
        muted.fg = #808090
        border.fg = #505068
        title.fg = #8ab4f8
        title.attrs = bold
        focus.fg = #ffd866
        focus.attrs = bold
        selection.fg = #101018
        selection.bg = #8ab4f8
        error.fg = #ff6b6b
        warning.fg = #ffb86c
        success.fg = #7ee787
        star.fg = #ffd866
        progress.fg = #7ee787
        track.fg = #404050
        status.fg = #d0d0d8
        status.bg = #262636
        key.fg = #ffd866
        key.attrs = bold

        """),
        ("light", """
        # Zoetrope theme: light, for light terminal backgrounds
        # Format: themes/README.md. One `role.part = value` per line.
        text.fg = #202028
        muted.fg = #6a6a78
        border.fg = #a0a0b0
        title.fg = #1a56c8
        title.attrs = bold
        focus.fg = #a0400a
        focus.attrs = bold
        selection.fg = #ffffff
        selection.bg = #1a56c8
        error.fg = #c01818
        warning.fg = #a05a00
        success.fg = #107a30
        star.fg = #b07800
        progress.fg = #107a30
        track.fg = #c8c8d0
        status.fg = #202028
        status.bg = #dcdce4
        key.fg = #1a56c8
        key.attrs = bold

        """),
        ("high-contrast", """
        # Zoetrope theme: high contrast (pure colours, bold focus)
        # Format: themes/README.md. One `role.part = value` per line.
        text.fg = #ffffff
        muted.fg = #d0d0d0
        border.fg = #ffffff
        title.fg = #ffff00
        title.attrs = bold underline
        focus.fg = #00ffff
        focus.attrs = bold underline
        selection.fg = #000000
        selection.bg = #ffff00
        error.fg = #ff0000
        error.attrs = bold
        warning.fg = #ffff00
        success.fg = #00ff00
        star.fg = #ffff00
        star.attrs = bold
        progress.fg = #00ff00
        track.fg = #808080
        status.fg = #000000
        status.bg = #ffffff
        key.fg = #000000
        key.bg = #ffffff
        key.attrs = bold underline

        """),
        ("monochrome", """
        # Zoetrope theme: monochrome, for terminals without colours (attributes only)
        # Format: themes/README.md. One `role.part = value` per line.
        text.fg = default
        muted.attrs = dim
        border.attrs = dim
        title.attrs = bold
        focus.attrs = bold underline
        selection.attrs = reverse
        error.attrs = bold
        warning.attrs = bold
        success.attrs = none
        star.attrs = bold
        progress.attrs = reverse
        track.attrs = dim
        status.attrs = reverse
        key.attrs = reverse bold

        """),
    ]
}
