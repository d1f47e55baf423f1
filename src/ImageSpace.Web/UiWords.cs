namespace ImageSpace.Web;

/// <summary>Messages of the shared code say what to do in the CLI's terms ("use --overwrite"); the page says it in
/// its own: the control to use. Applied to errors the API returns, batch events and plan notes.</summary>
public static class UiWords
{
    private static readonly (string cli, string ui)[] Phrases =
    [
        ("(use --overwrite to replace it, or --skip-existing to resume)", "(choose “overwrite them” or “keep them, do the rest” under If outputs exist, or another output folder)"),
        ("(use --corners if the rest is usable)", "(click Manual and place its corners if the rest is usable)"),
        ("give --film-base x,y,w,h", "pick the bare film with Film negative → Base → Pick"),
        ("check [c] (--name) and the schema", "check the [c] text and the naming"),
        ("; install it or use --no-metadata", "; install it"),
        (" (--refine)", ""),
    ];

    public static string Of(string message)
    {
        foreach (var (cli, ui) in Phrases) message = message.Replace(cli, ui, StringComparison.Ordinal);
        return message;
    }

    public static string? OfNullable(string? message) => message is null ? null : Of(message);
}
