# imagespace-exiftool.pl EXIFTOOL [ARGUMENTS...]
#
# Runs the exiftool script EXIFTOOL with ARGUMENTS, unchanged but for one thing: when a tag is written by name, exiftool
# loads only the tag tables that can receive it.
#
# Why: to write a tag given by name, exiftool's FindTagInfo (Image/ExifTool/TagLookup.pm) loads every module that has a
# tag of that name, whatever the group asked for. Copying a DNG's EXIF into our output template ("-exif:all": Make,
# Model, ISO, ExposureTime...) so compiles the Canon, Nikon, Sony, Pentax, Olympus, QuickTime, MIE, PDF... modules:
# 3.5 MB of Perl and ~0.13 s of CPU for each exiftool process, the largest part of its start-up (Image Space issue 17).
#
# Why it changes nothing: a copied tag comes from a table exiftool loaded to read the source, and it is written to the
# same group (-exif:all, -xmp:all...). A table of a module that reading the source did not load cannot be that group's
# table, so FindTagInfo is told such a table is empty instead of compiling its module. Modules of the groups Image
# Space writes (EXIF, GPS, XMP, IPTC, maker notes, Photoshop, ICC) and of its output formats (JPEG, PNG: exiftool also
# adds PNG:Software) are always loaded. The test ExifToolLazyTablesTests holds the outputs byte for byte to plain
# exiftool's on the sample files.
#
# How: nothing is loaded before exiftool itself runs (so its own library, a wrapper's "use lib" or "-config" act as
# always). A hook first in @INC waits for exiftool to need Image/ExifTool/TagLookup.pm, loads it from where exiftool
# would, and changes the lookup. When another folder earlier in @INC has the module (a standalone exiftool with its
# lib/ beside it, a wrapper's own library), the hook never runs and exiftool is plain. Anything unexpected in the
# change (another exiftool version without these functions) also leaves exiftool as it is.
use strict;
use warnings;

my $exiftool = shift @ARGV;
die "usage: perl imagespace-exiftool.pl EXIFTOOL [ARGUMENTS...]\n" unless defined $exiftool and -f $exiftool;
my @arguments = @ARGV;

# exiftool finds its library from $0 (its BEGIN block), so $0 is its path while it starts. Setting $0 also renames the
# process after the start of that string (15 characters); it is renamed "exiftool", as when run directly.
sub name_process {
    my ($name) = @_;
    $0 = $name;
    if (open my $comm, '>', "/proc/$$/comm") { print $comm 'exiftool'; close $comm; }
}

sub change_lookups {
    my $load = \&Image::ExifTool::GetTagTable;
    my %written = map { ("Image::ExifTool::$_" => 1) } qw(Exif GPS XMP IPTC MakerNotes Photoshop ICC_Profile JPEG PNG);
    $written{'Image::ExifTool'} = 1;
    no strict 'refs';
    no warnings 'redefine';
    # FindTagInfo calls GetTagTable through TagLookup's imported name: only its lookups change.
    *{'Image::ExifTool::TagLookup::GetTagTable'} = sub ($) {
        my $table = $_[0];
        if (defined $table and $table =~ /^(.*)::/ and not $written{$1}) {
            (my $file = "$1.pm") =~ s{::}{/}g;
            return {} unless $INC{$file} or %{$table};
        }
        return $load->(@_);
    };
}

my ($hook, $named);
$hook = sub {
    my (undef, $file) = @_;
    # The first module exiftool asks for comes after its BEGIN block: ps may show the whole command from now on.
    name_process(join ' ', $^X, $exiftool, @arguments) unless $named++;
    return unless $file eq 'Image/ExifTool/TagLookup.pm';
    @INC = grep { !(ref $_ and $_ == $hook) } @INC;
    require Image::ExifTool::TagLookup;
    eval { change_lookups(); 1 };
    # The module is loaded; require gets a file that says so.
    my $loaded = "1;\n";
    open my $fh, '<', \$loaded or return;
    return $fh;
};
unshift @INC, $hook;

name_process($exiftool);
do $exiftool;
die $@ if $@;
