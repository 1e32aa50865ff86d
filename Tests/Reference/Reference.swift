// Plain, obviously-correct reference implementations used only by tests.
public enum Reference {}
