def test_version_and_help(cli):
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("evalkit ")


def test_no_command_is_a_usage_error(cli):
    result = cli()
    assert result.returncode == 2
    assert "usage: evalkit" in result.stderr


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.returncode == 2
