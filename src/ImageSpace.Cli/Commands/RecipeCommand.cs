using System.CommandLine;
using ImageSpace.Core.Pipeline;

namespace ImageSpace.Cli.Commands;

public static class RecipeCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("file") { Description = "where to write (stdout when omitted)", Arity = ArgumentArity.ZeroOrOne };
        var force = SideOutputs.ForceOption();
        var init = new Command("init", "Write a recipe with every option at its default.") { file, force };
        init.SetAction(pr =>
        {
            string json = new Recipe().ToJson();
            if (pr.GetValue(file) is not { } path) { Console.WriteLine(json); return Program.Ok; }
            SideOutputs.Check([path], [], pr.GetValue(force));
            Core.Export.AtomicFile.WriteAllText(path, json + "\n");
            Console.WriteLine($"Wrote {path}");
            return Program.Ok;
        });
        return new Command("recipe", "Recipe files: every processing option in one JSON document.") { init };
    }
}
