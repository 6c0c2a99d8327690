from evalkit import ArgumentError, ConfigError, DataError, EvalkitError


def test_exit_codes_distinguish_data_from_configuration():
    assert DataError("x").exit_code == 1
    assert ConfigError("x").exit_code == 2
    assert ArgumentError("x").exit_code == 2
    assert isinstance(ArgumentError("x"), ValueError)


def test_render_names_the_place_and_the_fix_in_the_chosen_language():
    error = EvalkitError("bad value", where="study.yaml, line 3", hint="fix it",
                         message_fr="valeur invalide", hint_fr="corrigez-la")
    assert error.render("en") == "study.yaml, line 3: bad value\n  → fix it"
    assert error.render("fr") == "study.yaml, line 3 : valeur invalide\n  → corrigez-la"
    assert str(error) == error.render("en")


def test_from_catalogue_fills_both_languages():
    error = DataError.from_catalogue("cli.unexpected", kind="K", message="m")
    assert error.message == "Unexpected error (K): m"
    assert error.message_fr == "Erreur inattendue (K) ; message d'origine, en anglais : « m »"
