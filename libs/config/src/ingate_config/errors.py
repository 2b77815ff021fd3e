"""The one error a bad configuration produces: a single line naming the setting."""


class ConfigError(Exception):
    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"invalid setting {setting}: {problem}")
        self.setting = setting
        self.problem = problem
