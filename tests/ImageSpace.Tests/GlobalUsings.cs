global using Xunit;
global using ImageSpace.Core.Export;
global using ImageSpace.Core.Operators;
global using ImageSpace.Core.Raw;
