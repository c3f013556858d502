"""Engine configuration: one YAML file validated by pydantic, overridable by ``DHE_*`` variables.

``assets/config/default.yaml`` is the template; every field has a default, so an empty file is
valid. An environment variable overrides a file value: ``DHE_ASR__DEVICE=cuda`` sets
``asr.device`` (``__`` separates levels). Secrets (API keys, TURN credentials) are never in this
model's YAML: the YAML names the environment variable that holds them.

The sections' models live in :mod:`engine.config_sections` and :mod:`engine.config_serving`
(what each setting is, its bounds);
this module assembles them (:class:`EngineConfig`), loads the file, applies the environment and
words the validation errors (:func:`load_config`). It re-exports the sections, so callers import
everything from here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from connectors.config import ConnectorsConfig
from engine.config_file import ConfigError, ConfigFileError, read_mapping
from engine.config_sections import (
    ASRConfig,
    AvatarConfig,
    BadgeConfig,
    DialogConfig,
    EngineSandboxConfig,
    LLMConfig,
    PerceptionConfig,
    PrivacyConfig,
    TTSConfig,
    VADConfig,
    VoiceConfig,
    offline_voice,
)
from engine.config_serving import ClusterConfig, LimitsConfig, ServerConfig, TurnServerConfig
from engine.paths import ASSETS_DIR

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ASRConfig",
    "AvatarConfig",
    "BadgeConfig",
    "ClusterConfig",
    "ConfigError",
    "ConfigFileError",
    "DialogConfig",
    "EngineConfig",
    "EngineSandboxConfig",
    "LLMConfig",
    "LimitsConfig",
    "PerceptionConfig",
    "PrivacyConfig",
    "ServerConfig",
    "TTSConfig",
    "TurnServerConfig",
    "VADConfig",
    "VoiceConfig",
    "load_config",
    "offline_voice",
]

DEFAULT_CONFIG_PATH = ASSETS_DIR / "config" / "default.yaml"


class EngineConfig(BaseSettings):
    """The whole configuration (see ``assets/config/default.yaml`` for comments)."""

    model_config = SettingsConfigDict(
        env_prefix="DHE_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    asr: ASRConfig = Field(default_factory=ASRConfig)
    vad: VADConfig = Field(default_factory=VADConfig)
    tts: TTSConfig = Field(default_factory=TTSConfig)
    avatar: AvatarConfig = Field(default_factory=AvatarConfig)
    dialog: DialogConfig = Field(default_factory=DialogConfig)
    sandbox: EngineSandboxConfig = Field(default_factory=EngineSandboxConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    perception: PerceptionConfig = Field(default_factory=PerceptionConfig)
    connectors: ConnectorsConfig = Field(default_factory=ConnectorsConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment first, then the YAML values (passed as init kwargs)."""
        return (env_settings, init_settings)


def load_config(path: str | Path | None = None) -> EngineConfig:
    """Read and validate a config file (default: :data:`DEFAULT_CONFIG_PATH`,
    ``assets/config/default.yaml``), applying ``DHE_*``.

    Raises:
        ConfigFileError: the file is not a readable YAML mapping.
        ConfigError: validation errors, each with its dotted path.
    """
    source = Path(path) if path else DEFAULT_CONFIG_PATH
    raw = read_mapping(source)
    unknown = _unknown_env_sections()
    try:
        config = EngineConfig(**raw)
    except SettingsError as exc:  # a DHE_* variable that is not valid JSON for its field
        m = re.search(r'field "(\w+)"', str(exc))
        prefix = f"DHE_{m.group(1).upper()}" if m else "DHE_"
        names = sorted(k for k in os.environ if k.upper().startswith(prefix)) or [prefix + "*"]
        raise ConfigError(
            "environment",
            [f"{' or '.join(names)}: not valid JSON for its setting ({exc})"],
        ) from exc
    except ValidationError as exc:
        problems, from_env = [], []
        for err in _without_union_noise(exc.errors()):
            dotted = ".".join(str(p) for p in err["loc"]) or "<root>"
            setters = _env_setters(err["loc"])
            from_env.append(bool(setters))
            where = dotted
            if setters:  # the section's own name stays when a check across it failed
                own = setters == ["DHE_" + "__".join(str(p) for p in err["loc"]).upper()]
                where = f"{' or '.join(setters)} (environment)" + ("" if own else f": {dotted}")
            message = err["msg"]  # our validators' own words, without pydantic's label
            if err["type"] == "value_error":
                message = message.removeprefix("Value error, ")
            elif err["type"] == "extra_forbidden":
                message += _known_keys(err["loc"])
            problems.append(f"{where}: {message}")
        from_env += [True] * len(unknown)
        raise ConfigError(str(source), unknown + problems, from_environment=all(from_env)) from exc
    if unknown:
        raise ConfigError(str(source), unknown, from_environment=True)
    return config


#: pydantic-core's labels of a union's members in an error's loc (``str``, ``constrained-str``,
#: ``dict[str,constrained-str]``, ``function-after[...]``): its core schema type names.
_UNION_LABEL = re.compile(
    r"(?:constrained-)?(?:str|int|float|bool|bytes|decimal|date|datetime|time|none|url|enum|"
    r"model|literal|dict|list|tuple|set|frozenset|union|tagged-union|nullable|is-instance|"
    r"lax-or-strict|json-or-python|function-(?:after|before|wrap|plain))(?:\[.*\])?"
)


def _union_member(part: int | str) -> bool:
    """Whether a loc part is pydantic's name of a union member (``constrained-str``,
    ``dict[str,constrained-str]``), not a setting nor a key: a key with a hyphen (``zh-CN``,
    a voice named ``en-narrator``) is no label and stays in the path."""
    return isinstance(part, str) and not part.isidentifier() and bool(_UNION_LABEL.fullmatch(part))


def _without_union_noise(errors: list) -> list:
    """Validation errors as the setting's own: for a value that may be one of several types
    (``avatar.badge.text``: a string or a language → string mapping), the members' names are
    dropped from the path, and "Input should be a valid string" of the member the value is not
    is dropped when another member says what is wrong. newcomer11 saw
    ``avatar.badge.text.constrained-str: Input should be a valid string`` before the real
    ``…text.dict[str,constrained-str].en: String should have at most 40 characters``."""

    def base(loc: tuple) -> tuple:
        cut = next((i for i, part in enumerate(loc) if _union_member(part)), len(loc))
        return loc[:cut]

    tagged = [e for e in errors if any(_union_member(p) for p in e["loc"])]
    specific = {base(e["loc"]) for e in tagged if not e["type"].endswith("_type")}
    kept = []
    for err in errors:
        loc = err["loc"]
        if any(_union_member(p) for p in loc):
            if err["type"].endswith("_type") and base(loc) in specific:
                continue
            err = {**err, "loc": tuple(p for p in loc if not _union_member(p))}
        kept.append(err)
    return kept


def _env_setters(loc: tuple[int | str, ...]) -> list[str]:
    """The ``DHE_*`` variables that set the value at ``loc``: its own variable, or, for a check
    across a section's settings (``perception``: min_fps above max_fps, loc the section), the
    variables set inside that section; empty when none did (the file's value is at fault).
    ``DHE_PERCEPTION__MAX_FPS=1`` was blamed on the config file, which had not changed."""
    env = "DHE_" + "__".join(str(p) for p in loc).upper()
    if env in os.environ:
        return [env]
    if not _is_section(loc):
        return []
    return sorted(k for k in os.environ if k.upper().startswith(env + "__"))


def _is_section(loc: tuple[int | str, ...]) -> bool:
    """Whether ``loc`` names a settings model (a section such as ``perception``, or one inside
    a section such as ``server.limits``), not a plain value."""
    model: type[BaseModel] = EngineConfig
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return False
        model = annotation
    return bool(loc)


def _known_keys(loc: tuple[int | str, ...]) -> str:
    """`` (no setting 'x' in asr; known: models, device, …)`` for an unknown key at ``loc``, as
    an unknown section lists the sections; empty where the parent is no settings model (a
    mapping such as ``asr.models`` takes any key)."""
    model: type[BaseModel] = EngineConfig
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    where = ".".join(str(p) for p in loc[:-1]) or "the config"
    return f" (no setting {str(loc[-1])!r} in {where}; known: {', '.join(model.model_fields)})"


def _unknown_env_sections() -> list[str]:
    """One problem per ``DHE_<SECTION>__…`` variable whose section is no setting (pydantic-settings
    silently ignores it). ``DHE_`` variables without ``__`` (``DHE_VAR_DIR``, the sandbox keys, a
    secret named by ``*_env``) are no settings and are left alone."""
    problems = []
    for name in sorted(os.environ):
        if not name.upper().startswith("DHE_") or "__" not in name[4:]:
            continue
        section = name[4:].split("__", 1)[0].lower()
        if section not in EngineConfig.model_fields:
            known = ", ".join(EngineConfig.model_fields)
            problems.append(
                f"{name} (environment): Extra inputs are not permitted "
                f"(no section {section!r}; known: {known})"
            )
    return problems
