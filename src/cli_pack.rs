//! `spore pack` (and `spore build --pack`): the CLI side of `spore::pack`.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use spore::config::Config;
use spore::pack::{pack, PackOptions, Packed};
use spore::printable::{printable, printable_path};

/// How files become IPFS blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum IpfsProfile {
    /// `ipfs add -r --cid-version=1` with kubo's defaults: 256 KiB chunks,
    /// 174 links per node (what most gateways and pinning services use)
    #[default]
    KuboV1,
    /// IPIP-499's `unixfs-v1-2025`: 1 MiB chunks, 1024 links per node
    UnixfsV1_2025,
}

/// `Default` is what `spore pack` does with no flags (`build --pack`).
#[derive(Debug, Clone, Default, Args)]
pub struct PackArgs {
    /// Only the IPFS pack: SITE.car (a CAR whose root is the site's CID)
    /// and SITE.cid
    #[arg(long)]
    pub ipfs: bool,
    /// Only the BitTorrent pack: SITE.torrent (web seeds: the site's
    /// mirrors) and SITE.magnet
    #[arg(long)]
    pub torrent: bool,
    /// The torrent's name: the folder a client saves the site into, and
    /// the folder every web seed serves it under (default: the one most
    /// mirrors use)
    #[arg(long, value_name = "NAME")]
    pub torrent_name: Option<String>,
    /// How files become IPFS blocks
    #[arg(long, value_enum, default_value_t = IpfsProfile::KuboV1)]
    pub ipfs_profile: IpfsProfile,
}

impl PackArgs {
    fn options(&self) -> PackOptions {
        // Neither named: both.
        let both = !self.ipfs && !self.torrent;
        PackOptions {
            ipfs: self.ipfs || both,
            torrent: self.torrent || both,
            profile: match self.ipfs_profile {
                IpfsProfile::KuboV1 => spore::ipfs::Profile::kubo_v1(),
                IpfsProfile::UnixfsV1_2025 => spore::ipfs::Profile::unixfs_v1_2025(),
            },
            torrent_name: self.torrent_name.clone(),
        }
    }
}

/// Packs `config`'s built site; prints what was made (stdout) and the
/// mirrors that cannot be web seeds (warnings, stderr).
pub fn pack_site(config: &Config, args: &PackArgs, quiet: bool) -> Result<Packed> {
    let mirrors: Vec<String> = config.mirrors.iter().map(|m| m.url.clone()).collect();
    let packed = pack(&config.output, &mirrors, &args.options())
        .with_context(|| format!("packing {}", printable_path(&config.output)))?;
    if let Some(t) = &packed.torrent {
        for (url, why) in &t.refused_mirrors {
            eprintln!(
                "warning: mirror {} is not a web seed of the torrent: it {why}",
                printable(url)
            );
        }
    }
    if quiet {
        return Ok(packed);
    }
    if let Some(i) = &packed.ipfs {
        println!("IPFS root CID: {}", i.root);
        println!(
            "  {} ({:.1} MB): `ipfs dag import` it or upload it to a pinning service; {} holds the CID",
            printable_path(&i.car),
            i.car_bytes as f64 / 1e6,
            printable_path(&i.cid_file)
        );
    }
    if let Some(t) = &packed.torrent {
        println!("BitTorrent info-hash: {}", t.info_hash);
        println!(
            "  {}: {} files, {:.1} MB in pieces of {} KiB, named {:?}, {} web seed{}",
            printable_path(&t.file),
            t.files,
            t.total_length as f64 / 1e6,
            t.piece_length / 1024,
            printable(&t.name),
            t.web_seeds.len(),
            if t.web_seeds.len() == 1 { "" } else { "s" }
        );
        println!(
            "  magnet link (also in {}):",
            printable_path(&t.magnet_file)
        );
        println!("  {}", printable(&t.magnet));
    }
    Ok(packed)
}
